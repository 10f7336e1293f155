//! `QOSCreateHandle`.

use serde::{Deserialize, Serialize};

use super::{is_default, is_true, is_v1_0, v1_0, yes, CArg, CArgs, Names, Raw, Resolve, SerdeNames};

/// `QOSCreateHandle(Version, QOSHandle)`.
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

impl<N: Names> CreateHandle<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> CreateHandle<M> {
        CreateHandle {
            handle: r.new_handle(&self.handle),
            version: self.version,
            out: self.out,
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![
            ("Version", CArg::Version(self.version)),
            ("QOSHandle", CArg::OutPtr(self.out)),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::CreateHandle;
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for CreateHandle<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(CreateHandle {
                handle: (),
                version: if u.ratio(1u8, 8u8)? {
                    Option::<(u16, u16)>::arbitrary(u)?
                } else {
                    Some((1, 0))
                },
                out: !u.ratio(1u8, 10u8)?,
            })
        }
    }
}

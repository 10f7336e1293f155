//! `QOSCancel`.

use serde::{Deserialize, Serialize};

use super::{CArg, CArgs, Names, Raw, Resolve, SerdeNames};

/// `QOSCancel(QOSHandle, Overlapped)`.
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
pub struct Cancel<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `Overlapped` (`None` = NULL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlapped: Option<N::Overlapped>,
}

impl<N: Names> Cancel<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> Cancel<M> {
        Cancel {
            handle: r.handle(&self.handle),
            overlapped: self.overlapped.as_ref().map(|o| r.overlapped(o)),
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![
            ("QOSHandle", CArg::Handle(&self.handle)),
            ("Overlapped", CArg::Overlapped(self.overlapped.as_ref())),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::Cancel;
    use crate::fuzz::draw::ov;
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for Cancel<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Cancel {
                handle: u.arbitrary()?,
                overlapped: ov(u)?,
            })
        }
    }
}

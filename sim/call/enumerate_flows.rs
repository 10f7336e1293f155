//! `QOSEnumerateFlows`.

use serde::{Deserialize, Serialize};

use super::{is_default, is_true, yes, CArg, CArgs, Names, Raw, Resolve, SerdeNames};

/// `QOSEnumerateFlows(QOSHandle, Size, Buffer)`.
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
pub struct EnumerateFlows<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `*Size` on input.
    #[serde(default, skip_serializing_if = "is_default")]
    pub size: N::Size,
    /// Whether `Buffer` is non-NULL.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub buffer: bool,
}

impl EnumerateFlows {
    /// The `*Size` a careful caller passes: room for 1,024 flow ids.
    pub const SIZE: u32 = 4096;
}

impl<N: Names> EnumerateFlows<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> EnumerateFlows<M> {
        EnumerateFlows {
            handle: r.handle(&self.handle),
            size: r.size(&self.size, Some(EnumerateFlows::SIZE)),
            buffer: self.buffer,
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![
            ("QOSHandle", CArg::Handle(&self.handle)),
            ("Size", CArg::Size(&self.size)),
            ("Buffer", CArg::Buffer(self.buffer)),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::EnumerateFlows;
    use crate::fuzz::draw::size;
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for EnumerateFlows<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(EnumerateFlows {
                handle: u.arbitrary()?,
                size: size(u, &[0, 4, 64, 1024])?,
                buffer: !u.ratio(1u8, 10u8)?,
            })
        }
    }
}

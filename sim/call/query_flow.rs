//! `QOSQueryFlow`.

use serde::{Deserialize, Serialize};

use super::{
    is_default, is_true, yes, CArg, CArgs, Names, QueryOp, Raw, Resolve, SerdeNames, QOS_QUERYFLOW_FRESH,
};

/// `QOSQueryFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
///
/// ```
/// use qwave_sim::call::{Call, QueryFlow, QueryOp};
/// use qwave_sim::model::{Model, World};
///
/// let mut model = Model::new(World::default(), 1);
/// let call = Call::QueryFlow(QueryFlow {
///     handle: 0, // NULL
///     flow: 1,
///     op: QueryOp::Fundamentals,
///     size: Some(40),
///     buffer: true,
///     fresh: false,
///     flags: 0,
///     overlapped: None,
/// });
/// let err = model.apply(call).unwrap_err();
/// assert_eq!(err.code.0, 6); // ERROR_INVALID_HANDLE
/// ```
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
pub struct QueryFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `FlowId`.
    pub flow: N::Flow,
    /// `Operation`.
    pub op: QueryOp,
    /// `*Size` on input.
    #[serde(default, skip_serializing_if = "is_default")]
    pub size: N::Size,
    /// Whether `Buffer` is non-NULL.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub buffer: bool,
    /// `QOS_QUERYFLOW_FRESH` in `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub fresh: bool,
    /// The other bits of `Flags` (none is valid).
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
    /// `Overlapped` (`None` = NULL: synchronous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlapped: Option<N::Overlapped>,
}

impl<N: Names> QueryFlow<N> {
    /// `Flags` as passed.
    pub fn flag_bits(&self) -> u32 {
        self.flags | if self.fresh { QOS_QUERYFLOW_FRESH } else { 0 }
    }

    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> QueryFlow<M> {
        QueryFlow {
            handle: r.handle(&self.handle),
            flow: r.flow(&self.flow),
            op: self.op,
            size: r.size(&self.size, Some(self.op.size())),
            buffer: self.buffer,
            fresh: self.fresh,
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
                    name: QueryOp::name_of(code),
                },
            ),
            ("Size", CArg::Size(&self.size)),
            ("Buffer", CArg::Buffer(self.buffer)),
            (
                "Flags",
                CArg::flags(
                    self.flag_bits(),
                    Some((QOS_QUERYFLOW_FRESH, "QOS_QUERYFLOW_FRESH")),
                ),
            ),
            ("Overlapped", CArg::Overlapped(self.overlapped.as_ref())),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{QueryFlow, QOS_QUERYFLOW_FRESH};
    use crate::fuzz::draw::{flags, ov, size};
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for QueryFlow<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let (handle, flow, op) = u.arbitrary()?;
            let size = size(u, &[40, 16, 8, 64, 0, 39])?;
            let buffer = !u.ratio(1u8, 10u8)?;
            let fl = flags(u, &[0, QOS_QUERYFLOW_FRESH])?;
            Ok(QueryFlow {
                handle,
                flow,
                op,
                size,
                buffer,
                fresh: fl & QOS_QUERYFLOW_FRESH != 0,
                flags: fl & !QOS_QUERYFLOW_FRESH,
                overlapped: ov(u)?,
            })
        }
    }
}

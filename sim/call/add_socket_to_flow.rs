//! `QOSAddSocketToFlow`.

use serde::{Deserialize, Serialize};

use super::{is_default, CArg, CArgs, Names, Raw, Resolve, SerdeNames, TrafficArg, QOS_NON_ADAPTIVE_FLOW};

/// `QOSAddSocketToFlow(QOSHandle, Socket, DestAddr, TrafficType, Flags, FlowId)`.
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
pub struct AddSocketToFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `Socket`.
    pub socket: N::Socket,
    /// `DestAddr`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub dest: N::Addr,
    /// `TrafficType`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub traffic_type: TrafficArg,
    /// `QOS_NON_ADAPTIVE_FLOW` in `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub non_adaptive: bool,
    /// The other bits of `Flags` (none is valid).
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
    /// `*FlowId` on input.
    pub flow: N::FlowIn,
}

impl<N: Names> AddSocketToFlow<N> {
    /// `Flags` as passed.
    pub fn flag_bits(&self) -> u32 {
        self.flags
            | if self.non_adaptive {
                QOS_NON_ADAPTIVE_FLOW
            } else {
                0
            }
    }

    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> AddSocketToFlow<M> {
        AddSocketToFlow {
            handle: r.handle(&self.handle),
            socket: r.socket(&self.socket),
            dest: r.addr(&self.dest),
            traffic_type: self.traffic_type,
            non_adaptive: self.non_adaptive,
            flags: self.flags,
            flow: r.flow_in(&self.flow),
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![
            ("QOSHandle", CArg::Handle(&self.handle)),
            ("Socket", CArg::Socket(&self.socket)),
            ("DestAddr", CArg::Addr(&self.dest)),
            ("TrafficType", CArg::Traffic(self.traffic_type.raw())),
            (
                "Flags",
                CArg::flags(
                    self.flag_bits(),
                    Some((QOS_NON_ADAPTIVE_FLOW, "QOS_NON_ADAPTIVE_FLOW")),
                ),
            ),
            ("FlowId", CArg::FlowIn(&self.flow)),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{AddSocketToFlow, QOS_NON_ADAPTIVE_FLOW};
    use crate::fuzz::draw::flags;
    use crate::fuzz::{FlowArg, Sym};

    impl<'a> Arbitrary<'a> for AddSocketToFlow<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let (handle, socket, dest, traffic_type) = u.arbitrary()?;
            let fl = flags(u, &[0, QOS_NON_ADAPTIVE_FLOW])?;
            let flow = match u.int_in_range(0u8..=19)? {
                0 | 1 => None,
                2..=10 => Some(FlowArg::Zero),
                _ => Some(u.arbitrary()?),
            };
            Ok(AddSocketToFlow {
                handle,
                socket,
                dest,
                traffic_type,
                non_adaptive: fl & QOS_NON_ADAPTIVE_FLOW != 0,
                flags: fl & !QOS_NON_ADAPTIVE_FLOW,
                flow,
            })
        }
    }
}

//! `QOSStartTrackingClient` and `QOSStopTrackingClient`.

use serde::{Deserialize, Serialize};

use super::{is_default, Names, Raw, Resolve, SerdeNames};

/// `QOSStartTrackingClient` / `QOSStopTrackingClient(QOSHandle, DestAddr, Flags)`.
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
}

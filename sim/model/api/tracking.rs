//! `QOSStartTrackingClient` (STA) and `QOSStopTrackingClient` (STO).

use std::net::IpAddr;

use crate::call::Tracking;
use crate::model::event::{CallOutput, CallResult};
use crate::model::net::{Family, SockAddrIn};
use crate::model::{Func, Model, Route, Win32Error};

const EINVAL: Win32Error = Win32Error::ERROR_INVALID_PARAMETER;

/// STA-3, STO-3: a client is its family and IP address; the port is ignored.
fn client(dest: Option<SockAddrIn>) -> Result<(Family, IpAddr), Win32Error> {
    let sa = dest.and_then(SockAddrIn::socket_addr).ok_or(EINVAL)?; // STA-2, STO-2
    if sa.ip().is_unspecified() {
        return Err(EINVAL); // STA-2
    }
    Ok((Family::of(sa.ip()), sa.ip()))
}

impl Model {
    /// `QOSStartTrackingClient(QOSHandle, DestAddr, Flags)`.
    pub(super) fn start_tracking_client(
        &mut self,
        &Tracking {
            handle,
            client: dest,
            flags,
        }: &Tracking,
    ) -> CallResult {
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // STA-1, GEN-6, GEN-8
        let (family, ip) = client(dest)?; // STA-2, STA-3
        if flags != 0 {
            return Err(EINVAL.into()); // GEN-10, AMB-6
        }
        self.injected_failure(Func::StartTrackingClient)?; // STA-9, GEN-11
        let path = match self.route(ip) {
            Route::Unreachable => return Err(Win32Error::ERROR_HOST_UNREACHABLE.into()), // STA-8
            r if self.interface_faulty(r.interface()) => return Err(Win32Error::ERROR_ADAP_HDW_ERR.into()), // STA-9
            Route::OnLink {
                path, known: true, ..
            } => path,
            _ => return Err(Win32Error::ERROR_NOT_SUPPORTED.into()), // STA-6: off-link, loopback, unknown
        };
        let p = &self.paths[path as usize];
        if p.resolution_fails {
            return Err(Win32Error::ERROR_BAD_NET_NAME.into()); // STA-7
        }
        if p.refuses_qwave {
            return Err(Win32Error::ERROR_HOST_UNREACHABLE.into()); // STA-8: no qWAVE sink there
        }
        if !p.lltd_qos {
            return Err(Win32Error::ERROR_NOT_SUPPORTED.into()); // STA-6
        }
        let tracked = &mut self.handles[h].tracked;
        if let Err(pos) = tracked.binary_search(&(family, ip)) {
            tracked.insert(pos, (family, ip)); // AMB-23: idempotent
        }
        self.start_probing_path(path); // STA-4, STA-5
        Ok(CallOutput::None)
    }

    /// `QOSStopTrackingClient(QOSHandle, DestAddr, Flags)`; `Flags` is ignored (STO-7).
    pub(super) fn stop_tracking_client(
        &mut self,
        &Tracking {
            handle, client: dest, ..
        }: &Tracking,
    ) -> CallResult {
        self.power_transition()?; // AMB-40
        self.open_handle(handle)?; // STO-1, GEN-6, GEN-8
        let (family, ip) = client(dest)?; // STO-2, STO-3
                                          // STO-7, AMB-6: Flags is reserved but not required to be 0; it is ignored.
        self.injected_failure(Func::StopTrackingClient)?; // STO-6, GEN-11
                                                          // STO-4, CLO-7, AMB-3: any handle of the process, lingering entries included.
        if self.stop_tracking_everywhere(family, ip) {
            Ok(CallOutput::None) // STO-5: flows are not touched
        } else {
            Err(Win32Error::ERROR_NOT_FOUND.into()) // AMB-24
        }
    }
}

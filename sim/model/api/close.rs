//! `QOSCloseHandle` (CLO).

use crate::call::CloseHandle;
use crate::model::event::{CallOutput, CallResult};
use crate::model::{Func, HandleState, Model, Win32Error};

impl Model {
    /// `QOSCloseHandle(QOSHandle)`.
    pub(super) fn close_handle(&mut self, &CloseHandle { handle }: &CloseHandle) -> CallResult {
        self.power_transition()?; // AMB-40
                                  // CLO-1, CLO-2, CLO-8, RW-1, AMB-2: NULL, garbage or closed → 6.
        let h = self
            .handle_index(handle)
            .ok_or(Win32Error::ERROR_INVALID_HANDLE)?;
        match self.handles[h].state {
            HandleState::Dead => return Err(Win32Error::ERROR_INVALID_HANDLE.into()),
            HandleState::Stale => {
                // GEN-8: a stale handle accepts only close, which succeeds.
                self.handles[h].state = HandleState::Dead;
                return Ok(CallOutput::None);
            }
            HandleState::Open => {}
        }
        self.injected_failure(Func::CloseHandle)?; // GEN-11
                                                   // CLO-4, CLO-5, CLO-6, AMB-1: flows go, pending requests complete with 995.
        let mut flows = self.handles[h].flows.clone();
        flows.sort_unstable();
        let mut paths: Vec<u32> = flows
            .iter()
            .filter_map(|id| self.flows.get(id))
            .map(|f| f.path)
            .collect();
        paths.sort_unstable();
        paths.dedup();
        for id in flows {
            self.destroy_flow(id, Win32Error::ERROR_OPERATION_ABORTED);
        }
        let mut pending: Vec<u64> = self.handles[h].pending.values().copied().collect();
        pending.sort_unstable();
        for r in pending {
            self.abort_request(r, Win32Error::ERROR_OPERATION_ABORTED);
        }
        for p in paths {
            self.recheck_waiters(p); // NOT-5: other handles' flows may grow now
        }
        self.linger_tracking(h); // CLO-7, AMB-3
        self.handles[h].state = HandleState::Dead; // CLO-3, CLO-8
        Ok(CallOutput::None)
    }
}

//! `QOSCancel` (CAN).

use crate::call::Cancel;
use crate::model::event::{CallOutput, CallResult};
use crate::model::world::UnmatchedCancel;
use crate::model::{Func, Model, Win32Error};

impl Model {
    /// `QOSCancel(QOSHandle, Overlapped)`.
    pub(super) fn cancel(&mut self, &Cancel { handle, overlapped }: &Cancel) -> CallResult {
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // CAN-1, GEN-6, GEN-8
        let key = overlapped.ok_or(Win32Error::ERROR_INVALID_PARAMETER)?; // CAN-2
        self.injected_failure(Func::Cancel)?; // CAN-6, GEN-11
                                              // CAN-4, CAN-7: only requests issued on this handle.
        let found = self.handles[h]
            .pending
            .get(&key)
            .copied()
            .filter(|r| self.requests.contains_key(r));
        match found {
            Some(id) => {
                // CAN-3: started; the request completes with 995 through its usual channel.
                self.abort_request(id, Win32Error::ERROR_OPERATION_ABORTED);
                Ok(CallOutput::None)
            }
            None => Err(match self.world_settings().unmatched_cancel {
                UnmatchedCancel::NotFound => Win32Error::ERROR_NOT_FOUND, // AMB-20
                UnmatchedCancel::InvalidParameter => Win32Error::ERROR_INVALID_PARAMETER,
            }
            .into()),
        }
    }
}

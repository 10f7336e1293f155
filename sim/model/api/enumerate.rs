//! `QOSEnumerateFlows` (ENU).

use crate::call::EnumerateFlows;
use crate::model::event::{CallOutput, CallResult};
use crate::model::{CallError, Func, Model, Win32Error};

impl Model {
    /// `QOSEnumerateFlows(QOSHandle, Size, Buffer)`. On success every live flow id of the
    /// system, sorted.
    pub(super) fn enumerate_flows(
        &mut self,
        &EnumerateFlows { handle, size, buffer }: &EnumerateFlows,
    ) -> CallResult {
        self.power_transition()?; // AMB-40
        self.open_handle(handle)?; // ENU-1, GEN-6, GEN-8
        let size = size.ok_or(Win32Error::ERROR_INVALID_PARAMETER)?; // ENU-8, AMB-21
        if !buffer && size > 0 {
            return Err(Win32Error::ERROR_INVALID_PARAMETER.into()); // ENU-8, AMB-21
        }
        self.injected_failure(Func::EnumerateFlows)?; // ENU-10, GEN-11
        if !self.world().policy.admin {
            return Err(Win32Error::ERROR_ACCESS_DENIED.into()); // ENU-2
        }
        let need = u32::try_from(self.flow_count().saturating_mul(4)).unwrap_or(u32::MAX);
        if size < need {
            // ENU-4, ENU-6: 122 and the bytes needed.
            return Err(CallError {
                code: Win32Error::ERROR_INSUFFICIENT_BUFFER,
                size: Some(need),
            });
        }
        // ENU-3, ENU-5, ENU-7, ENU-9, AMB-22: every flow of the system, sorted; none → size 0.
        Ok(CallOutput::Flows(self.flow_ids()))
    }
}

//! `QOSCreateHandle` (CRE).

use crate::call::CreateHandle;
use crate::model::event::{CallOutput, CallResult};
use crate::model::world::ServiceState;
use crate::model::{Func, Model, Win32Error};

impl Model {
    /// `QOSCreateHandle(Version, QOSHandle)`. Returns the new handle value.
    pub(super) fn create_handle(&mut self, c: &CreateHandle) -> CallResult {
        self.power_transition()?; // AMB-40
                                  // CRE-1, CRE-2, CRE-3, CRE-11, RW-2: all argument faults give 87, before the service.
        match c.version {
            Some((1, 0)) if c.out => {}
            _ => return Err(Win32Error::ERROR_INVALID_PARAMETER.into()),
        }
        self.injected_failure(Func::CreateHandle)?; // CRE-9, GEN-11
        self.resume_create_failure()?; // CRE-8, GEN-9
        match self.service_state() {
            ServiceState::Running => {}
            ServiceState::CannotStart => return Err(Win32Error::ERROR_SERVICE_DEPENDENCY_FAIL.into()), // CRE-6
            ServiceState::FirewallBlocked => return Err(Win32Error::ERROR_RESOURCE_DISABLED.into()), // CRE-7
        }
        // CRE-4, CRE-5: a fresh, independent handle.
        match self.new_handle() {
            Some(h) => Ok(CallOutput::Handle(h)),
            None => Err(Win32Error::ERROR_NO_SYSTEM_RESOURCES.into()), // CRE-9
        }
    }
}

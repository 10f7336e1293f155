//! `QOSRemoveSocketFromFlow` (REM).

use crate::call::RemoveSocketFromFlow;
use crate::model::event::{CallOutput, CallResult};
use crate::model::{Func, Model, Win32Error};

impl Model {
    /// `QOSRemoveSocketFromFlow(QOSHandle, Socket, FlowId, Flags)`: `socket` 0 destroys the flow.
    pub(super) fn remove_socket_from_flow(
        &mut self,
        &RemoveSocketFromFlow {
            handle,
            socket,
            flow,
            flags,
        }: &RemoveSocketFromFlow,
    ) -> CallResult {
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // REM-1, GEN-6, GEN-8
        if flags != 0 {
            return Err(Win32Error::ERROR_INVALID_PARAMETER.into()); // REM-8, GEN-10, AMB-6
        }
        if flow == 0 {
            return Err(Win32Error::ERROR_INVALID_PARAMETER.into()); // AMB-39
        }
        self.injected_failure(Func::RemoveSocketFromFlow)?; // REM-7, GEN-11
        let f = self.own_flow(h, flow)?; // REM-2
        let whole = socket == 0 || (f.sockets.len() == 1 && f.sockets.contains(socket));
        if whole {
            // REM-3, REM-4, REM-5, REM-9, AMB-11: the flow goes; its pending requests abort.
            let path = f.path;
            self.destroy_flow(flow, Win32Error::ERROR_OPERATION_ABORTED);
            self.recheck_waiters(path); // NOT-5: its bandwidth is free again
            return Ok(CallOutput::None);
        }
        if !f.sockets.contains(socket) {
            return Err(Win32Error::ERROR_NOT_FOUND.into()); // REM-8, AMB-10
        }
        // REM-4: only that socket leaves (AMB-37: a closed socket leaves just the same).
        let f = self.flows.get_mut(&flow).expect("checked above");
        f.sockets.remove(socket);
        if let Some(s) = self.socket_mut(socket) {
            s.flow_refs = s.flow_refs.saturating_sub(1);
        }
        Ok(CallOutput::None)
    }
}

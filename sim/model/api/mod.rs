//! The 11 qos2.h functions as model operations, one file each, behind one door:
//! [`Model::apply`].
//!
//! Each takes its [`Call`] struct with pointers already decoded, checks it in the order of
//! AMB-33 (handle → arguments → flow → flow kind → privilege → policy → path → data
//! readiness), and returns the result; `apply` records the call as an [`Event`](super::Event). A surface turns
//! the result into `BOOL` + last error + buffer contents.

mod add;
mod cancel;
mod close;
mod create;
mod enumerate;
mod notify;
mod query;
mod remove;
pub(crate) mod set;
mod tracking;

pub(crate) use notify::NotifyKind;
pub(crate) use query::QueryKind;

use super::event::CallResult;
use super::Model;
use crate::call::Call;

impl Model {
    /// Runs one call: settles due events, checks and executes the call, and records it (stamped
    /// with the time it started, before anything that happened while it blocked).
    pub fn apply(&mut self, call: Call) -> CallResult {
        self.settle();
        let at = self.now();
        let mark = self.events_len();
        let result = match &call {
            Call::CreateHandle(c) => self.create_handle(c),
            Call::CloseHandle(c) => self.close_handle(c),
            Call::AddSocketToFlow(c) => self.add_socket_to_flow(c),
            Call::RemoveSocketFromFlow(c) => self.remove_socket_from_flow(c),
            Call::SetFlow(c) => self.set_flow(c),
            Call::QueryFlow(c) => self.query_flow(c),
            Call::NotifyFlow(c) => self.notify_flow(c),
            Call::Cancel(c) => self.cancel(c),
            Call::EnumerateFlows(c) => self.enumerate_flows(c),
            Call::StartTrackingClient(c) => self.start_tracking_client(c),
            Call::StopTrackingClient(c) => self.stop_tracking_client(c),
        };
        if self.recording() {
            self.record_call(mark, at, call, &result);
        }
        result
    }
}

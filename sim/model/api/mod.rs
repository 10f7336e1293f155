//! The 11 qos2.h functions as model operations, one file each.
//!
//! Each takes the caller's arguments with pointers already decoded (`None` = NULL), checks
//! them in the order of AMB-33 (handle → arguments → flow → flow kind → privilege → policy →
//! path → data readiness), records the call as an [`Event`], and returns the
//! result. A surface turns the result into `BOOL` + last error + buffer contents.

pub mod add;
pub mod cancel;
pub mod close;
pub mod create;
pub mod enumerate;
pub mod notify;
pub mod query;
pub mod remove;
pub mod set;
pub mod tracking;

use super::event::{CallArgs, CallResult, Stamped};
use super::{Event, Model};

/// `QOS_NON_ADAPTIVE_FLOW`.
pub const QOS_NON_ADAPTIVE_FLOW: u32 = 0x2;
/// `QOS_QUERYFLOW_FRESH`.
pub const QOS_QUERYFLOW_FRESH: u32 = 0x1;

impl Model {
    /// Runs one call: settles due events, runs `body`, and records the call (stamped with the
    /// time it started, before anything that happened while it blocked).
    pub(crate) fn call(
        &mut self,
        args: impl FnOnce() -> CallArgs,
        body: impl FnOnce(&mut Model) -> CallResult,
    ) -> CallResult {
        self.settle();
        let at = self.now();
        let mark = self.events_len();
        let result = body(self);
        if self.recording() {
            let event = Stamped {
                at,
                event: Event::Call {
                    args: args(),
                    result: result.clone(),
                },
            };
            self.insert_event(mark, event);
        }
        result
    }
}

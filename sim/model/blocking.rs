//! Blocking calls the surface waits for itself (GEN-4, NOT-12, AMB-31).
//!
//! A synchronous `QOSNotifyFlow` blocks until its condition holds. Run from a scenario or
//! straight on the model ([`Model::apply`]), the call runs the timeline itself. The
//! windows-shaped surfaces instead ask for the wait to be *handed back*
//! ([`Model::set_defer_blocking`]): the call is recorded as it starts, with a placeholder result,
//! and the surface waits with the sim unlocked, so other threads' calls (a close, a flow
//! removal, a fault) can end it. Both paths share one definition of when the wait ends
//! ([`Model::blocked_outcome`]) and of the deadlock at its limit, so a lone thread gets the same
//! results and events either way.

use super::api::NotifyKind;
use super::{Event, Func, HandleState, Model, VirtualTime, Win32Error};
use crate::model::event::{CallOutput, CallResult, QueryData};
use crate::tag::HandleIndex;

/// A synchronous notification waiting for its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockedNotify {
    /// The handle it was called on.
    pub h: HandleIndex,
    /// Flow id.
    pub flow: u32,
    /// What it waits for.
    pub op: NotifyKind,
    /// Virtual time at which it is a deadlock (AMB-31).
    pub limit: VirtualTime,
    /// Position of its call event counted from the start of the run (as
    /// [`Model::events_len`], so it stays valid while the log is trimmed; `None` when not
    /// recording).
    pub event: Option<usize>,
}

impl Model {
    /// With `on`, a synchronous `QOSNotifyFlow` whose condition does not hold yet returns
    /// `ERROR_IO_PENDING` at once and leaves a [`BlockedNotify`] for [`Model::take_blocked`];
    /// its call event carries that placeholder until [`Model::end_blocked`] writes the result.
    pub(crate) fn set_defer_blocking(&mut self, on: bool) {
        self.defer_blocking = on;
    }

    /// The wait a deferred blocking call left, if the last call left one.
    pub(crate) fn take_blocked(&mut self) -> Option<BlockedNotify> {
        self.blocked.take()
    }

    /// The start of a blocking notification: its limit, and (deferred) the hand-back.
    pub(crate) fn begin_blocked(
        &mut self,
        h: HandleIndex,
        flow: u32,
        op: NotifyKind,
    ) -> Result<BlockedNotify, CallResult> {
        let limit = self
            .now()
            .plus_us(self.world_settings().deadlock_after_ms.saturating_mul(1000));
        let b = BlockedNotify {
            h,
            flow,
            op,
            limit,
            event: None,
        };
        if !self.defer_blocking {
            return Ok(b);
        }
        self.blocked = Some(b);
        Err(Err(Win32Error::ERROR_IO_PENDING.into()))
    }

    /// What a blocked notification returns now, if its wait is over: 995 once its handle is
    /// closed or stale (CLO-5, NOT-14, GEN-8) or its flow destroyed (REM-9, NOT-14), the route's
    /// error once the destination is lost, the data once the condition holds (NOT-4, NOT-5).
    pub(crate) fn blocked_outcome(&self, b: &BlockedNotify) -> Option<CallResult> {
        if self.handles[b.h].state != HandleState::Open {
            return Some(Err(Win32Error::ERROR_OPERATION_ABORTED.into())); // CLO-5, GEN-8
        }
        let Some(f) = self.flows.get(&b.flow) else {
            return Some(Err(Win32Error::ERROR_OPERATION_ABORTED.into())); // REM-9
        };
        if let Err(e) = self.flow_route(f) {
            return Some(Err(e.into()));
        }
        self.notify_condition(f, b.op).map(|d| Ok(output(d)))
    }

    /// AMB-31: nothing scheduled before the limit ended the wait: the clock stands at the limit,
    /// the run records a deadlock, the call fails with `ERROR_TIMEOUT`.
    pub(crate) fn blocked_deadlock(&mut self, b: &BlockedNotify) -> CallResult {
        self.run_until(b.limit);
        self.note_deadlock(Func::NotifyFlow);
        Err(Win32Error::ERROR_TIMEOUT.into())
    }

    /// Remembers where the deferred call's event is: the last call recorded.
    pub(crate) fn locate_blocked_event(&self, b: &mut BlockedNotify) {
        if self.recording() {
            b.event = self
                .events
                .iter()
                .rposition(|e| matches!(e.event, Event::Call { .. }))
                .map(|i| self.events_removed as usize + i);
        }
    }

    /// Writes the final result of a deferred call into its event, unless the bounded history
    /// has dropped it meanwhile.
    pub(crate) fn end_blocked(&mut self, b: &BlockedNotify, result: &CallResult) {
        let at = b
            .event
            .and_then(|at| at.checked_sub(self.events_removed as usize));
        if let Some(Event::Call { result: r, .. }) =
            at.and_then(|i| self.events.get_mut(i)).map(|e| &mut e.event)
        {
            *r = result.clone();
        }
    }
}

/// The output of a notification that fired (`QOSNotifyAvailable` writes 8 bytes).
pub(crate) fn output(data: Option<QueryData>) -> CallOutput {
    match data {
        Some(d) => CallOutput::Data(d, 8),
        None => CallOutput::None,
    }
}

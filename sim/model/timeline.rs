//! The timeline: what is scheduled for later virtual times, and the loop that runs it.
//! An idle stretch costs nothing: time jumps from one scheduled event to the next.

use super::*;

/// Something on the timeline.
#[derive(Clone, Debug)]
pub(crate) enum Scheduled {
    /// Execute a pending request now (if still pending) and complete it.
    Due(u64),
    /// Deliver a completion decided earlier (aborts, cancels, immediate results).
    Deliver(Completion),
    /// Apply a fault.
    Fault(Fault),
    /// Flip a path's congestion (its `congestion_period_ms`).
    Toggle(PathIdx),
    /// End lingering tracking of a closed handle's clients (AMB-3).
    LingerEnd(u64),
    /// A path's estimate becomes complete: notifications waiting for it re-check (NOT-5).
    EstimateReady(PathIdx),
}

impl Model {
    /// Runs every event due up to `now` (a "simulator step"). Every call starts with this.
    #[inline]
    pub fn settle(&mut self) {
        // Usually nothing is due: answer that without a call.
        if self
            .timeline
            .first_key_value()
            .is_some_and(|(&(t, _), _)| t <= self.now)
        {
            self.run_until(self.now);
        }
    }

    /// Advances virtual time to `to`, running every scheduled event on the way, in order.
    /// An idle stretch costs nothing: only events cost work.
    pub fn advance_to(&mut self, to: VirtualTime) {
        let to = to.max(self.now);
        self.run_until(to);
        self.push_event(Event::Advance(to));
    }

    /// Advances virtual time by `us` microseconds.
    pub fn advance_us(&mut self, us: u64) {
        self.advance_to(self.now.plus_us(us));
    }

    /// Runs events due at or before `to`, then sets the clock to `to`.
    pub(crate) fn run_until(&mut self, to: VirtualTime) {
        while self.step_before(to) {}
        self.now = self.now.max(to);
    }

    /// Runs the next event if it is due at or before `to`; returns whether one ran.
    pub(crate) fn step_before(&mut self, to: VirtualTime) -> bool {
        let Some((&(t, seq), _)) = self.timeline.iter().next() else {
            return false;
        };
        if t > to {
            return false;
        }
        let ev = self.timeline.remove(&(t, seq)).expect("present");
        self.now = self.now.max(t);
        self.run_scheduled(ev);
        true
    }

    /// Schedules a fault for virtual time `at` (now if in the past).
    pub fn inject_at(&mut self, at: VirtualTime, fault: Fault) {
        let at = at.max(self.now);
        self.schedule(at, Scheduled::Fault(fault));
    }

    /// Applies a fault now.
    pub fn inject(&mut self, fault: Fault) {
        self.settle();
        self.apply_fault(fault);
    }

    pub(crate) fn schedule(&mut self, at: VirtualTime, what: Scheduled) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.timeline.insert((at, seq), what);
    }

    fn run_scheduled(&mut self, ev: Scheduled) {
        match ev {
            Scheduled::Due(id) => self.run_due(id),
            Scheduled::Deliver(c) => self.deliver(c),
            Scheduled::Fault(f) => self.apply_fault(f),
            Scheduled::Toggle(p) => {
                let state = &self.paths[p as usize];
                let congested = !state.config.congested;
                let period = state.config.congestion_period_ms.unwrap_or(0);
                let id = state.id;
                let next = self.now.plus_us(period.saturating_mul(1000));
                // At the saturated end of time the next flip would be "now" again, forever.
                // (`next > now` implies `period > 0`, so `>` → `>=` on the period is an
                // equivalent mutant; the period test says what is meant.)
                if period > 0 && next > self.now {
                    self.schedule(next, Scheduled::Toggle(p));
                }
                self.paths[p as usize].config.congested = congested;
                self.path_changed(p, id);
            }
            Scheduled::LingerEnd(id) => self.lingering.retain(|(l, _, _)| *l != id),
            Scheduled::EstimateReady(p) => self.recheck_waiters(p),
        }
    }
}

//! Live flows by id: dense chunked storage with an id → slot index ([`FlowIndex`]).
//!
//! A hash map of whole flows costs its bucket size divided by its load factor per flow (more than
//! 400 bytes for a 192-byte flow at unlucky sizes); here each flow costs its own size plus an
//! 8-byte index entry (at most twice that in a table that just grew), and storage grows a chunk at
//! a time, so the waste is bounded by one chunk. Freed slots are reused first. Iteration order is
//! the index's: deterministic but unspecified, so callers sort ids before anything leaves the
//! model.

use std::fmt;

use super::flow::Flow;
use super::flow_index::FlowIndex;
use super::touched::Touched;

/// Flows per chunk (a power of two); a chunk grows by doubling up to it, so a model with a
/// handful of flows stays small and the unused room never exceeds one chunk's flows.
const CHUNK: usize = 256;

/// Where a live flow is stored, found once by [`FlowTable::find`] and then used for every access
/// to that flow in the same call. Valid until that flow is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot(u32);

/// The model's live flows.
#[derive(Clone, Default)]
pub(crate) struct FlowTable {
    /// Flow id → slot.
    index: FlowIndex,
    /// Slot `s` is `chunks[s / CHUNK][s % CHUNK]`; `None` = free.
    chunks: Vec<Vec<Option<Flow>>>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
    /// Ids of the flows changed, added or removed (for the incremental invariant check).
    pub(crate) touched: Touched<u32>,
}

impl FlowTable {
    #[inline]
    fn slot(&self, s: u32) -> &Option<Flow> {
        let s = s as usize;
        &self.chunks[s / CHUNK][s % CHUNK]
    }

    #[inline]
    fn slot_mut(&mut self, s: u32) -> &mut Option<Flow> {
        let s = s as usize;
        &mut self.chunks[s / CHUNK][s % CHUNK]
    }

    /// Where the flow with this id is stored.
    #[inline]
    pub fn find(&self, id: u32) -> Option<Slot> {
        self.index.get(id).map(Slot)
    }

    /// Where the flow with this id is stored, and the flow.
    #[inline]
    pub fn find_flow(&self, id: u32) -> Option<(Slot, &Flow)> {
        let s = self.index.get(id)?;
        self.slot(s).as_ref().map(|f| (Slot(s), f))
    }

    /// The flow stored at `s` (found by [`FlowTable::find`], and not removed since).
    #[inline(always)]
    pub fn at(&self, s: Slot) -> &Flow {
        self.slot(s.0).as_ref().expect("a live flow's slot")
    }

    /// The flow stored at `s`, mutably.
    #[inline]
    pub fn at_mut(&mut self, s: Slot) -> &mut Flow {
        let s = s.0 as usize;
        let f = self.chunks[s / CHUNK][s % CHUNK]
            .as_mut()
            .expect("a live flow's slot");
        self.touched.touch(f.id);
        f
    }

    /// The flow with this id.
    #[inline]
    pub fn get(&self, id: &u32) -> Option<&Flow> {
        let s = self.index.get(*id)?;
        self.slot(s).as_ref()
    }

    /// The flow with this id, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: &u32) -> Option<&mut Flow> {
        let s = self.index.get(*id)?;
        self.touched.touch(*id);
        self.slot_mut(s).as_mut()
    }

    /// Whether a flow has this id.
    #[inline]
    pub fn contains_key(&self, id: &u32) -> bool {
        self.index.get(*id).is_some()
    }

    /// Number of live flows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Stores `flow` under `id`, which no live flow has (the model never hands out a live id).
    #[inline]
    pub fn insert_new(&mut self, id: u32, flow: Flow) {
        self.touched.touch(id);
        let s = match self.free.pop() {
            Some(s) => {
                *self.slot_mut(s) = Some(flow);
                s
            }
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    // Each chunk grows by doubling up to CHUNK (a power of two): the unused
                    // room is at most the last chunk's length.
                    self.chunks.push(Vec::with_capacity(4));
                }
                let n = self.chunks.len();
                let last = &mut self.chunks[n - 1];
                last.push(Some(flow));
                ((n - 1) * CHUNK + last.len() - 1) as u32
            }
        };
        self.index.insert_new(id, s);
    }

    /// Removes the flow `id` stored at `s`, dropping it where it lies.
    #[inline]
    pub fn remove_at(&mut self, id: u32, s: Slot) {
        self.touched.touch(id);
        self.index.remove(id);
        *self.slot_mut(s.0) = None;
        self.free.push(s.0);
    }

    /// Live flows with their ids, in the index's (deterministic, unspecified) order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Flow)> {
        self.index
            .iter()
            .filter_map(|(id, s)| self.slot(s).as_ref().map(|f| (id, f)))
    }

    /// Live flow ids.
    pub fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.index.iter().map(|(id, _)| id)
    }

    /// Live flows, mutably, in storage order (nothing that leaves the model depends on it).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Flow> {
        self.touched.touch_all();
        self.chunks.iter_mut().flatten().flatten()
    }

    /// Live flows.
    pub fn values(&self) -> impl Iterator<Item = &Flow> {
        self.iter().map(|(_, f)| f)
    }
}

impl<'a> IntoIterator for &'a FlowTable {
    type Item = (u32, &'a Flow);
    type IntoIter = Box<dyn Iterator<Item = (u32, &'a Flow)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::ops::Index<&u32> for FlowTable {
    type Output = Flow;

    fn index(&self, id: &u32) -> &Flow {
        self.get(id).expect("no flow with this id")
    }
}

impl fmt::Debug for FlowTable {
    /// As a map sorted by flow id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v: Vec<(u32, &Flow)> = self.iter().collect();
        v.sort_unstable_by_key(|(id, _)| *id);
        f.debug_map().entries(v).finish()
    }
}

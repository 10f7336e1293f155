//! Live flows by id: dense chunked storage with an id → slot index.
//!
//! A hash map of whole flows costs its bucket size divided by its load factor per flow (more than
//! 400 bytes for a 192-byte flow at unlucky sizes); here each flow costs its own size plus an
//! 8-byte index entry, and storage grows a chunk at a time, so the waste is bounded by one chunk.
//! Freed slots are reused first. Iteration order is the index's, a hash map's, as before:
//! deterministic but unspecified, so callers sort ids before anything leaves the model.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use super::flow::Flow;
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
    index: HashMap<u32, u32, BuildHasherDefault<IdHasher>>,
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
        self.index.get(&id).map(|s| Slot(*s))
    }

    /// Where the flow with this id is stored, and the flow.
    #[inline]
    pub fn find_flow(&self, id: u32) -> Option<(Slot, &Flow)> {
        let s = *self.index.get(&id)?;
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
        let s = *self.index.get(id)?;
        self.slot(s).as_ref()
    }

    /// The flow with this id, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: &u32) -> Option<&mut Flow> {
        let s = *self.index.get(id)?;
        self.touched.touch(*id);
        self.slot_mut(s).as_mut()
    }

    /// Whether a flow has this id.
    #[inline]
    pub fn contains_key(&self, id: &u32) -> bool {
        self.index.contains_key(id)
    }

    /// Number of live flows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Stores `flow` under `id`, replacing (and returning) a flow with the same id.
    pub fn insert(&mut self, id: u32, flow: Flow) -> Option<Flow> {
        self.touched.touch(id);
        let vacant = match self.index.entry(id) {
            Entry::Occupied(o) => {
                let s = *o.get() as usize;
                return self.chunks[s / CHUNK][s % CHUNK].replace(flow);
            }
            Entry::Vacant(v) => v,
        };
        let s = match self.free.pop() {
            Some(s) => {
                self.chunks[s as usize / CHUNK][s as usize % CHUNK] = Some(flow);
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
        vacant.insert(s);
        None
    }

    /// Removes the flow `id` stored at `s`, dropping it where it lies.
    #[inline]
    pub fn remove_at(&mut self, id: u32, s: Slot) {
        self.touched.touch(id);
        self.index.remove(&id);
        *self.slot_mut(s.0) = None;
        self.free.push(s.0);
    }

    /// Live flows with their ids, in the index's (deterministic, unspecified) order.
    pub fn iter(&self) -> impl Iterator<Item = (&u32, &Flow)> {
        self.index
            .iter()
            .filter_map(|(id, s)| self.slot(*s).as_ref().map(|f| (id, f)))
    }

    /// Live flow ids.
    pub fn keys(&self) -> impl Iterator<Item = &u32> {
        self.index.keys()
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
    type Item = (&'a u32, &'a Flow);
    type IntoIter = Box<dyn Iterator<Item = (&'a u32, &'a Flow)> + 'a>;

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
        let mut v: Vec<(&u32, &Flow)> = self.iter().collect();
        v.sort_unstable_by_key(|(id, _)| **id);
        f.debug_map().entries(v).finish()
    }
}

/// Hashes a flow id so that runs of consecutive ids land in consecutive buckets: the low 8 bits
/// are the id's own (its place in a run of 256), the bits above a mix of the rest (where the run
/// goes, and the tag a probe compares). Ids are handed out in increasing order, so the buckets of
/// the newest flows, which an app touches most, stay together in cache however many flows are
/// live; and because whole runs are scattered, ids that wrapped past the table size do not pile
/// onto the buckets of older live ids (plain identity hashing made each insert probe through
/// them once more than 2^21 ids had been used with 1M flows live).
///
/// (Mutants that only weaken the mix, `finish` → 0 or an `^` → `&`, are equivalent in
/// behaviour: the map stays correct, its probes get longer; the benches see them, the tests
/// cannot.)
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached for u32 keys; any fold keeps it a valid hasher.
        for b in bytes {
            self.write_u32(u32::from(*b) ^ (self.0 as u32).rotate_left(8));
        }
    }

    fn write_u32(&mut self, id: u32) {
        let id = u64::from(id);
        let m = (id >> 8).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let m = m ^ (m >> 29);
        self.0 = (m << 8) | (id & 0xFF);
    }
}

#[cfg(test)]
mod tests {
    use super::CHUNK;
    use crate::model::world::{ForeignFlow, World};
    use crate::model::Model;

    /// Storage grows a chunk at a time (the room wasted is bounded by one chunk), every flow is
    /// found under its id across chunks, and `Debug` shows a map sorted by id.
    #[test]
    fn flows_fill_whole_chunks_and_are_found_across_them() {
        let n = CHUNK + 44;
        let w = World {
            foreign_flows: vec![ForeignFlow::default(); n],
            ..World::default()
        };
        let m = Model::new(w, 1);
        let sizes: Vec<usize> = m.flows.chunks.iter().map(Vec::len).collect();
        assert_eq!(sizes, [CHUNK, 44]);
        let mut ids: Vec<u32> = m.flows.keys().copied().collect();
        ids.sort_unstable();
        assert_eq!(ids.len(), n);
        for id in &ids {
            assert_eq!(m.flows.get(id).map(|f| f.id), Some(*id));
        }
        let debug = format!("{:?}", m.flows);
        let at = |id: u32| debug.find(&format!("{id}: Flow {{")).expect("listed");
        assert!(
            debug.starts_with(&format!("{{{}: Flow {{", ids[0])),
            "{}",
            &debug[..20]
        );
        assert!(at(ids[n - 2]) < at(ids[n - 1]));
    }

    /// Storing under a live id replaces that flow in its own slot (the model never does, flow
    /// ids being unique among live flows, but the table keeps a map's contract).
    #[test]
    fn insert_under_a_live_id_replaces_it_in_place() {
        let w = World {
            foreign_flows: vec![ForeignFlow::default(), ForeignFlow::default()],
            ..World::default()
        };
        let mut m = Model::new(w, 1);
        let mut f = m.flows.get(&2).expect("second flow").clone();
        f.held_bps = 7;
        let old = m.flows.insert(2, f).expect("replaced");
        assert_eq!((old.id, old.held_bps), (2, 0));
        assert_eq!(m.flows.get(&2).map(|f| f.held_bps), Some(7));
        assert_eq!(m.flows.get(&1).map(|f| f.held_bps), Some(0));
        assert_eq!(m.flows.len(), 2);
    }
}

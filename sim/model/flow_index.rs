//! Flow id → storage slot: an open-addressing table specialised for the model's flow ids.
//!
//! An entry is one `u64`, `id << 32 | slot`: no flow has id 0, so 0 marks an empty entry, and 1
//! (id 0, slot 1) an entry whose flow was removed. Entries come in buckets of 8 (one 64-byte
//! cache line). A lookup scans the id's home bucket and goes on to the next only while the
//! bucket it scanned has no empty entry.
//!
//! Flow ids are handed out in increasing order, so the 8 ids of a run `8k..8k+7` share a home
//! bucket: the newest flows, which an app touches most, sit together in cache however many flows
//! are live, while the runs themselves are scattered over the table (so ids that wrapped past
//! the table size do not pile up behind older ones).
//!
//! The table keeps at most 3/4 of its entries in use (live or removed); past that it is rebuilt,
//! twice as large if more than half are live. A removed entry becomes empty again at once when
//! its bucket still has an empty entry (then no lookup ever went past that bucket), else it is
//! marked removed until the next rebuild.

/// Entries per bucket.
const BUCKET: usize = 8;
/// An entry never used since the last rebuild.
const EMPTY: u64 = 0;
/// An entry whose flow was removed.
const REMOVED: u64 = 1;
/// The smallest table (entries).
const MIN_ENTRIES: usize = 64;

/// The index.
#[derive(Clone, Default)]
pub(crate) struct FlowIndex {
    /// A power of two of entries, in buckets of [`BUCKET`]; empty until the first insert.
    entries: Vec<u64>,
    /// Live entries.
    live: usize,
    /// Live and removed entries.
    used: usize,
}

fn pack(id: u32, slot: u32) -> u64 {
    (u64::from(id) << 32) | u64::from(slot)
}

fn id_of(e: u64) -> u32 {
    (e >> 32) as u32
}

impl FlowIndex {
    /// The home bucket of `id` among `buckets` (a power of two).
    #[inline(always)]
    fn home(id: u32, buckets: usize) -> usize {
        let run = u64::from(id >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((run ^ (run >> 29)) >> 16) as usize & (buckets - 1)
    }

    /// Where `id`'s entry is: its position in `entries`.
    #[inline(always)]
    fn position(&self, id: u32) -> Option<usize> {
        if id == 0 || self.entries.is_empty() {
            return None;
        }
        let buckets = self.entries.len() / BUCKET;
        let mut b = Self::home(id, buckets);
        loop {
            let bucket = self.bucket(b);
            for (i, &e) in bucket.iter().enumerate() {
                if id_of(e) == id {
                    return Some(b * BUCKET + i);
                }
            }
            if bucket.contains(&EMPTY) {
                return None; // no entry ever went past a bucket with room
            }
            b = (b + 1) & (buckets - 1);
        }
    }

    /// Bucket `b`'s entries.
    #[inline(always)]
    fn bucket(&self, b: usize) -> &[u64; BUCKET] {
        self.entries[b * BUCKET..(b + 1) * BUCKET]
            .try_into()
            .expect("a bucket is BUCKET entries")
    }

    /// The slot of flow `id`.
    #[inline(always)]
    pub(crate) fn get(&self, id: u32) -> Option<u32> {
        self.position(id).map(|p| self.entries[p] as u32)
    }

    /// Number of live flows.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Records `slot` for `id`, which has no entry.
    pub(crate) fn insert_new(&mut self, id: u32, slot: u32) {
        debug_assert!(id != 0 && self.position(id).is_none());
        if (self.used + 1) * 4 > self.entries.len() * 3 {
            self.rebuild();
        }
        let buckets = self.entries.len() / BUCKET;
        let mut b = Self::home(id, buckets);
        loop {
            let bucket = &mut self.entries[b * BUCKET..(b + 1) * BUCKET];
            if let Some(e) = bucket.iter_mut().find(|e| **e == EMPTY || **e == REMOVED) {
                if *e == EMPTY {
                    self.used += 1;
                }
                *e = pack(id, slot);
                self.live += 1;
                return;
            }
            b = (b + 1) & (buckets - 1);
        }
    }

    /// Records `slot` for `id`, replacing its slot if it has one; returns the old slot.
    #[cfg(test)]
    pub(crate) fn insert(&mut self, id: u32, slot: u32) -> Option<u32> {
        match self.position(id) {
            Some(p) => {
                let old = self.entries[p] as u32;
                self.entries[p] = pack(id, slot);
                Some(old)
            }
            None => {
                self.insert_new(id, slot);
                None
            }
        }
    }

    /// Removes `id`'s entry; returns its slot.
    pub(crate) fn remove(&mut self, id: u32) -> Option<u32> {
        let p = self.position(id)?;
        let slot = self.entries[p] as u32;
        let start = p / BUCKET * BUCKET;
        let open = self.entries[start..start + BUCKET].contains(&EMPTY);
        if open {
            self.entries[p] = EMPTY;
            self.used -= 1;
        } else {
            self.entries[p] = REMOVED;
        }
        self.live -= 1;
        Some(slot)
    }

    /// Live (id, slot) pairs, in table order (deterministic, unspecified).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.entries
            .iter()
            .filter(|e| **e != EMPTY && **e != REMOVED)
            .map(|e| (id_of(*e), *e as u32))
    }

    /// Makes room: the same size without removed entries, or twice the size if more than half
    /// the entries are live.
    fn rebuild(&mut self) {
        let size = if (self.live + 1) * 2 > self.entries.len() {
            (self.entries.len() * 2).max(MIN_ENTRIES)
        } else {
            self.entries.len()
        };
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; size]);
        self.live = 0;
        self.used = 0;
        for e in old {
            if e != EMPTY && e != REMOVED {
                self.insert_new(id_of(e), e as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::FlowIndex;

    /// A small deterministic sequence.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    /// Against an ordered map: growing, churning (the model's add/remove pattern: new ids
    /// increase, old ones leave at random or in order) and shrinking back to nothing.
    #[test]
    fn behaves_as_a_map_through_growth_and_churn() {
        let mut idx = FlowIndex::default();
        let mut map = BTreeMap::new();
        let mut rng = Lcg(7);
        let mut next = 1u32;
        for round in 0..40_000u32 {
            let add = map.is_empty() || rng.next(100) < if round < 20_000 { 60 } else { 40 };
            if add {
                let slot = round;
                assert_eq!(idx.insert(next, slot), map.insert(next, slot));
                next += 1 + rng.next(3) as u32; // ids increase, with gaps
            } else {
                let keys: Vec<u32> = map.keys().copied().collect();
                let id = keys[rng.next(keys.len() as u64) as usize];
                assert_eq!(idx.remove(id), map.remove(&id));
            }
            if round % 997 == 0 {
                for (id, slot) in &map {
                    assert_eq!(idx.get(*id), Some(*slot), "id {id}");
                }
                assert_eq!(idx.get(next), None);
                assert_eq!(idx.get(0), None);
            }
            assert_eq!(idx.len(), map.len());
        }
        let mut listed: Vec<(u32, u32)> = idx.iter().collect();
        listed.sort_unstable();
        assert_eq!(listed, map.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
        for id in map.keys().copied().collect::<Vec<_>>() {
            assert_eq!(idx.remove(id), map.remove(&id));
        }
        assert_eq!((idx.len(), idx.iter().count(), idx.get(1)), (0, 0, None));
    }

    /// Ids that wrapped around: the high and the low ends of the id space live together.
    #[test]
    fn ids_at_both_ends_of_the_range() {
        let mut idx = FlowIndex::default();
        for id in (u32::MAX - 1000..=u32::MAX).chain(1..=1000) {
            idx.insert_new(id, id ^ 0x5555);
        }
        for id in (u32::MAX - 1000..=u32::MAX).chain(1..=1000) {
            assert_eq!(idx.get(id), Some(id ^ 0x5555));
        }
        assert_eq!(idx.remove(u32::MAX), Some(u32::MAX ^ 0x5555));
        assert_eq!(idx.get(u32::MAX), None);
    }
}

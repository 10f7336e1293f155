//! What changed in a table since the incremental invariant check last looked
//! ([`Model::check_invariants_incremental`](super::Model::check_invariants_incremental)). Kept only
//! while such a check is in use, so other runs pay one predictable branch per change.

/// Keys of the entries changed since the last [`Touched::take`], or "all of them".
#[derive(Clone, Debug, Default)]
pub(crate) struct Touched<K> {
    /// Whether changes are recorded at all.
    on: bool,
    /// Too many, or changed wholesale: look at every entry.
    all: bool,
    keys: Vec<K>,
}

/// More keys than this since the last look: the next look checks everything instead. (Any
/// bound is correct, 0 included: `<<` → `>>` here, an equivalent mutant, makes every look whole.)
const MAX_KEYS: usize = 1 << 16;

/// What [`Touched::take`] hands over.
pub(crate) enum Changes<K> {
    /// Every entry may have changed.
    All,
    /// Only these (unsorted, possibly repeated).
    Some(Vec<K>),
}

impl<K> Touched<K> {
    /// Entry `k` changed (or was added or removed).
    #[inline]
    pub(crate) fn touch(&mut self, k: K) {
        if self.on {
            self.record(k);
        }
    }

    fn record(&mut self, k: K) {
        if self.all {
            return;
        }
        // (`>=` → `<` is an equivalent mutant: "all" at every change makes every look whole.)
        if self.keys.len() >= MAX_KEYS {
            self.touch_all();
        } else {
            self.keys.push(k);
        }
    }

    /// Any entry may have changed.
    #[inline]
    pub(crate) fn touch_all(&mut self) {
        if self.on {
            self.all = true;
            self.keys = Vec::new();
        }
    }

    /// Starts recording, from nothing changed.
    pub(crate) fn start(&mut self) {
        self.on = true;
        self.all = false;
        self.keys.clear();
    }

    /// What changed since the last call; recording goes on from nothing changed.
    pub(crate) fn take(&mut self) -> Changes<K> {
        if std::mem::take(&mut self.all) {
            Changes::All
        } else {
            Changes::Some(std::mem::take(&mut self.keys))
        }
    }
}

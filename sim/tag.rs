//! Tagged values: how the sim encodes the handles, sockets, kernel objects and OVERLAPPED keys it
//! hands out, and how it decodes them. Defined here once; the model and the surfaces convert
//! through these functions and never spell out masks.
//!
//! A tagged value is `tag << 40 | (index + 1) << shift`: a 16-bit tag in bits 40..56 keeps it far
//! above any real file descriptor, Windows handle or socket value (and apart from the other
//! kinds), `index + 1` keeps it non-zero, and kernel objects shift it by 2 so their values are
//! multiples of 4 like real handles (the low bit of an `hEvent` is a flag).
//!
//! A QoS handle has two forms with distinct types: its [`HandleValue`], the raw value an app holds
//! (and a [`Call`](crate::call::Call) carries as a `u64`), and its [`HandleIndex`], its place in
//! the model's handle table (what a flow's owner and a pending request refer to).

/// Bits below the tag.
const INDEX_BITS: u32 = 40;
/// The bits that hold `index + 1` (shifted).
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// One kind of tagged value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tag {
    /// The tag, in bits 40.. of every value.
    bits: u64,
    /// How far `index + 1` is shifted left.
    shift: u32,
}

/// QoS handles (`QOSCreateHandle`).
pub(crate) const HANDLE: Tag = Tag::new(0x5157, 0);
/// Sockets the sim creates (`socket`).
pub(crate) const SOCKET: Tag = Tag::new(0x5153, 0);
/// Event objects (`CreateEventW`).
pub(crate) const EVENT: Tag = Tag::new(0x5145, 2);
/// I/O completion ports (`CreateIoCompletionPort`).
pub(crate) const PORT: Tag = Tag::new(0x5150, 2);
/// OVERLAPPED keys of scenario runs (named OVERLAPPEDs, numbered in first-use order).
pub(crate) const OVERLAPPED_KEY: Tag = Tag::new(0x4F56, 0);

impl Tag {
    const fn new(tag: u16, shift: u32) -> Tag {
        Tag {
            bits: (tag as u64) << INDEX_BITS,
            shift,
        }
    }

    /// The value of the object at `index`.
    pub(crate) const fn value(self, index: usize) -> u64 {
        self.bits | ((index as u64 + 1) << self.shift)
    }

    /// Whether `value` carries this tag (whatever its index).
    pub(crate) const fn marks(self, value: u64) -> bool {
        value & !INDEX_MASK == self.bits
    }

    /// The index `value` names, if it is a well-formed value of this kind (the caller checks it
    /// against the table's length).
    pub(crate) const fn index(self, value: u64) -> Option<usize> {
        if !self.marks(value) || value & ((1 << self.shift) - 1) != 0 {
            return None;
        }
        let n = (value & INDEX_MASK) >> self.shift;
        if n == 0 {
            None
        } else {
            Some((n - 1) as usize)
        }
    }

    /// The value of the `n`-th object (1-based, as counted in the fuzzer's and tests' symbols).
    pub(crate) const fn nth(self, n: u64) -> u64 {
        self.bits | (n << self.shift)
    }
}

/// The most QoS handles one run may create.
pub(crate) const MAX_HANDLES: usize = 1 << 24;

/// A QoS handle as the app holds it (`HANDLE`), possibly garbage or never issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct HandleValue(pub(crate) u64);

/// A handle's place in the model's handle table (in creation order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct HandleIndex(u32);

impl HandleValue {
    /// The table index this value names, if it carries the handle tag (the caller checks it
    /// against the table's length).
    pub(crate) fn index(self) -> Option<HandleIndex> {
        HANDLE
            .index(self.0)
            .and_then(|i| u32::try_from(i).ok())
            .map(HandleIndex)
    }

    /// The raw value.
    pub(crate) fn get(self) -> u64 {
        self.0
    }
}

impl HandleIndex {
    /// The index of the next handle of a table holding `len`, if the table has room.
    pub(crate) fn next(len: usize) -> Option<HandleIndex> {
        (len < MAX_HANDLES).then_some(HandleIndex(len as u32))
    }

    /// The value the app holds for this handle.
    pub(crate) fn value(self) -> HandleValue {
        HandleValue(HANDLE.value(self.get()))
    }

    /// The index into the table.
    pub(crate) fn get(self) -> usize {
        self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_their_index() {
        for tag in [HANDLE, SOCKET, EVENT, PORT, OVERLAPPED_KEY] {
            for i in [0usize, 1, 41, (1 << 24) - 1] {
                let v = tag.value(i);
                assert!(tag.marks(v));
                assert_eq!(tag.index(v), Some(i));
                assert_eq!(tag.nth(i as u64 + 1), v);
            }
            assert_eq!(tag.index(tag.nth(0)), None, "index + 1 is never 0");
        }
        assert_eq!(HANDLE.value(0), (0x5157 << 40) | 1);
        assert_eq!(EVENT.value(0), (0x5145 << 40) | 4);
        assert_eq!(
            EVENT.index(EVENT.value(3) | 1),
            None,
            "kernel objects are multiples of 4"
        );
        assert_eq!(SOCKET.index(HANDLE.value(0)), None, "tags keep kinds apart");
        assert_eq!(HANDLE.index(0xdead_beef), None);
    }

    #[test]
    fn handle_values_and_indices_convert() {
        let i = HandleIndex::next(2).expect("room");
        assert_eq!(i.get(), 2);
        assert_eq!(i.value(), HandleValue(HANDLE.value(2)));
        assert_eq!(i.value().index(), Some(i));
        assert_eq!(HandleValue(0).index(), None);
        assert_eq!(HandleIndex::next(MAX_HANDLES), None);
    }
}

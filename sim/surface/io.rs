//! Overlapped I/O state: the requests the model accepted with `ERROR_IO_PENDING` (GEN-3) and
//! where their results go, plus the sim's kernel objects (events, I/O completion ports).
//!
//! The model knows a request by a key the surface issues per OVERLAPPED address, in call order
//! (1, 2, 3, …), so that traces never depend on where the app's memory lives; the key is
//! released once no request uses that OVERLAPPED any more. On completion the surface writes, like
//! the kernel would: the data into the caller's buffer and `*Size`, `InternalHigh` = bytes,
//! `Internal` = the status, then signals `hEvent` and posts to the completion port the QoS
//! handle is bound to (GEN-5, CRE-10).
//!
//! **`Internal` holds an NTSTATUS**, as on Windows, where the kernel writes the I/O status block
//! there: `STATUS_PENDING` (0x103) while the request is outstanding (what
//! `HasOverlappedIoCompleted` tests), then `STATUS_SUCCESS` (0) or the failure's NTSTATUS
//! (`STATUS_CANCELLED` 0xC0000120 for a request that ends with 995, …; see `ntstatus_of`).
//! `GetOverlappedResult` maps it back to the Win32 code with `win32_of_ntstatus`, the
//! `RtlNtStatusToDosError` step Windows (and Wine's kernelbase) takes, so apps that read the
//! status through it or `GetQueuedCompletionStatus` see exactly what Windows reports.

use std::collections::{BTreeMap, VecDeque};

use crate::model::{Completion, Func, QueryData};
use crate::tag::{self, HandleValue, Tag};

/// `STATUS_PENDING`, written to `OVERLAPPED.Internal` while a request is outstanding.
pub(crate) const STATUS_PENDING: usize = 0x103;

/// Win32 codes a completion can carry and the native NTSTATUS a driver completes the request
/// with, each the pair `RtlNtStatusToDosError` maps (Wine's `dlls/ntdll/error.c` table).
const NTSTATUS_TABLE: &[(u32, u32)] = &[
    (0, 0x0000_0000),    // STATUS_SUCCESS
    (5, 0xC000_0022),    // STATUS_ACCESS_DENIED
    (6, 0xC000_0008),    // STATUS_INVALID_HANDLE
    (8, 0xC000_0017),    // STATUS_NO_MEMORY
    (50, 0xC000_00BB),   // STATUS_NOT_SUPPORTED
    (54, 0xC000_00BF),   // STATUS_NETWORK_BUSY
    (57, 0xC000_00C2),   // STATUS_ADAPTER_HARDWARE_ERROR
    (59, 0xC000_00C4),   // STATUS_UNEXPECTED_NETWORK_ERROR
    (87, 0xC000_000D),   // STATUS_INVALID_PARAMETER
    (122, 0xC000_0023),  // STATUS_BUFFER_TOO_SMALL
    (232, 0xC000_00D9),  // STATUS_PIPE_EMPTY
    (995, 0xC000_0120),  // STATUS_CANCELLED
    (1117, 0xC000_0185), // STATUS_IO_DEVICE_ERROR
    (1168, 0xC000_0225), // STATUS_NOT_FOUND
    (1232, 0xC000_023D), // STATUS_HOST_UNREACHABLE
    (1237, 0xC000_022D), // STATUS_RETRY
    (1260, 0xC000_0361), // STATUS_ACCESS_DISABLED_BY_POLICY_DEFAULT
    (1450, 0xC000_009A), // STATUS_INSUFFICIENT_RESOURCES
];

/// `FACILITY_NTWIN32` error NTSTATUS (`0xC007xxxx`): a Win32 code with no native NTSTATUS
/// travels as this, and `RtlNtStatusToDosError` returns its low 16 bits.
const NTWIN32: u32 = 0xC007_0000;

/// The NTSTATUS Windows stores in `OVERLAPPED.Internal` for a request that ends with `code`.
pub(crate) fn ntstatus_of(code: u32) -> u32 {
    NTSTATUS_TABLE
        .iter()
        .find(|(w, _)| *w == code)
        .map_or(NTWIN32 | (code & 0xFFFF), |(_, nt)| *nt)
}

/// `RtlNtStatusToDosError` for the statuses the sim stores: the Win32 code `GetLastError`
/// reports after `GetOverlappedResult` read `status` from `Internal`.
pub(crate) fn win32_of_ntstatus(status: u32) -> u32 {
    if status & 0xFFFF_0000 == NTWIN32 {
        return status & 0xFFFF;
    }
    NTSTATUS_TABLE
        .iter()
        .find(|(_, nt)| *nt == status)
        .map_or(status, |(w, _)| *w)
}

/// Most events or ports one run may create.
pub(crate) const MAX_OBJECTS: usize = 1 << 20;
/// Most packets one completion port holds before new ones are dropped.
pub(crate) const MAX_PACKETS: usize = 1 << 20;

/// The first four fields of an `OVERLAPPED` (windows and windows-sys share the layout).
#[repr(C)]
pub(crate) struct RawOverlapped {
    pub internal: usize,
    pub internal_high: usize,
    pub offset: u64,
    pub h_event: usize,
}

/// Where an accepted request's result goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PendingIo {
    /// The OVERLAPPED (its address is the key).
    pub ov: usize,
    /// `Size` pointer (0 = none).
    pub size: usize,
    /// Buffer pointer (0 = none).
    pub buf: usize,
    /// Bytes the buffer holds (`*Size` at issue time).
    pub cap: u32,
    /// `hEvent` at issue time.
    pub event: u64,
    /// The function that issued it.
    pub func: Func,
}

/// One completion packet queued on a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Packet {
    pub bytes: u32,
    pub key: usize,
    pub ov: usize,
    pub status: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EventObj {
    manual_reset: bool,
    signaled: bool,
    closed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Port {
    queue: VecDeque<Packet>,
    closed: bool,
}

/// Kernel-object kinds a handle value may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    Event(usize),
    Port(usize),
}

/// The surface's I/O state.
#[derive(Debug, Default)]
pub(crate) struct Io {
    /// (QoS handle value, request key) → where to write, oldest request first. An
    /// OVERLAPPED reused right after `QOSCancel` (before the abort is delivered) holds two
    /// requests; completions arrive in issue order, so each finds its own pointers.
    pub pending: BTreeMap<(HandleValue, u64), VecDeque<PendingIo>>,
    events: Vec<EventObj>,
    ports: Vec<Port>,
    /// QoS handle value → (port value, completion key).
    assoc: BTreeMap<HandleValue, (u64, usize)>,
    /// Waits that could never finish and concerned no qWAVE request (AMB-31).
    pub orphan_deadlocks: u32,
    /// OVERLAPPED address → the key the model knows its requests by.
    keys: BTreeMap<usize, u64>,
    /// The last key issued.
    last_key: u64,
}

/// The index of the live-or-closed object of kind `tag` that `value` names, among `len`.
/// Object values are multiples of 4 like real handles, so the low bit of an `hEvent` stays free
/// for the "no completion-port packet" flag ([`crate::tag`]).
fn index_of(value: u64, tag: Tag, len: usize) -> Option<usize> {
    tag.index(value).filter(|&i| i < len)
}

impl Io {
    /// The key for an OVERLAPPED address: the one its pending requests use, or a new one.
    pub(crate) fn key_of(&mut self, ov: usize) -> u64 {
        if let Some(&k) = self.keys.get(&ov) {
            return k;
        }
        self.last_key += 1;
        self.keys.insert(ov, self.last_key);
        self.last_key
    }

    /// The key of an OVERLAPPED that has requests pending, if any.
    pub(crate) fn known_key(&self, ov: usize) -> Option<u64> {
        self.keys.get(&ov).copied()
    }

    /// Forgets the key of an OVERLAPPED once no pending request uses it.
    pub(crate) fn release_key(&mut self, ov: usize) {
        if !self.pending_ios().any(|(_, p)| p.ov == ov) {
            self.keys.remove(&ov);
        }
    }

    /// What a handle value names, if it is a live sim event or port.
    pub(crate) fn object(&self, value: u64) -> Option<Object> {
        if let Some(i) = index_of(value, tag::EVENT, self.events.len()) {
            return (!self.events[i].closed).then_some(Object::Event(i));
        }
        if let Some(i) = index_of(value, tag::PORT, self.ports.len()) {
            return (!self.ports[i].closed).then_some(Object::Port(i));
        }
        None
    }

    /// `CreateEventW`: a new event's handle value.
    pub(crate) fn create_event(&mut self, manual_reset: bool, initial: bool) -> Option<u64> {
        if self.events.len() >= MAX_OBJECTS {
            return None;
        }
        self.events.push(EventObj {
            manual_reset,
            signaled: initial,
            closed: false,
        });
        Some(tag::EVENT.value(self.events.len() - 1))
    }

    /// `SetEvent` / `ResetEvent`; false if `value` is no live event.
    pub(crate) fn set_event(&mut self, value: u64, signaled: bool) -> bool {
        match self.object(value) {
            Some(Object::Event(i)) => {
                self.events[i].signaled = signaled;
                true
            }
            _ => false,
        }
    }

    /// Whether the event is signaled (`None` if it is no live event).
    pub(crate) fn event_signaled(&self, value: u64) -> Option<bool> {
        match self.object(value) {
            Some(Object::Event(i)) => Some(self.events[i].signaled),
            _ => None,
        }
    }

    /// A successful wait on an auto-reset event resets it.
    pub(crate) fn consume_event(&mut self, value: u64) {
        if let Some(Object::Event(i)) = self.object(value) {
            if !self.events[i].manual_reset {
                self.events[i].signaled = false;
            }
        }
    }

    /// `CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, ..)`: a new port.
    pub(crate) fn create_port(&mut self) -> Option<u64> {
        if self.ports.len() >= MAX_OBJECTS {
            return None;
        }
        self.ports.push(Port::default());
        Some(tag::PORT.value(self.ports.len() - 1))
    }

    /// Binds a QoS handle to a port (GEN-5). False if already bound (Windows: one port per
    /// file handle).
    pub(crate) fn associate(&mut self, handle: HandleValue, port: u64, key: usize) -> bool {
        if self.assoc.contains_key(&handle) {
            return false;
        }
        self.assoc.insert(handle, (port, key));
        true
    }

    /// Dequeues the oldest packet of a port.
    pub(crate) fn pop_packet(&mut self, port: u64) -> Option<Packet> {
        match self.object(port) {
            Some(Object::Port(i)) => self.ports[i].queue.pop_front(),
            _ => None,
        }
    }

    /// Queues a packet (`PostQueuedCompletionStatus` or a completion).
    pub(crate) fn post(&mut self, port: u64, p: Packet) -> bool {
        match self.object(port) {
            Some(Object::Port(i)) => {
                if self.ports[i].queue.len() < MAX_PACKETS {
                    self.ports[i].queue.push_back(p);
                }
                true
            }
            _ => false,
        }
    }

    /// QoS handles bound to `port`.
    pub(crate) fn handles_on(&self, port: u64) -> Vec<HandleValue> {
        self.assoc
            .iter()
            .filter(|(_, (p, _))| *p == port)
            .map(|(h, _)| *h)
            .collect()
    }

    /// `CloseHandle` on an event or port. False if it is neither.
    pub(crate) fn close(&mut self, value: u64) -> bool {
        match self.object(value) {
            Some(Object::Event(i)) => {
                self.events[i].closed = true;
                true
            }
            Some(Object::Port(i)) => {
                self.ports[i].closed = true;
                self.ports[i].queue.clear();
                self.assoc.retain(|_, (p, _)| *p != value);
                true
            }
            None => false,
        }
    }

    /// A QoS handle was closed: its port binding goes with it.
    pub(crate) fn forget_handle(&mut self, handle: HandleValue) {
        self.assoc.remove(&handle);
    }

    /// Remembers where an accepted request's result goes, and marks its OVERLAPPED pending.
    ///
    /// # Safety
    /// `io.ov` points to a writable OVERLAPPED.
    pub(crate) unsafe fn begin(&mut self, handle: HandleValue, io: PendingIo) {
        let ov = io.ov as *mut RawOverlapped;
        unsafe {
            (*ov).internal = STATUS_PENDING;
            (*ov).internal_high = 0;
        }
        let key = self.key_of(io.ov);
        self.pending.entry((handle, key)).or_default().push_back(io);
    }

    /// Reads the `hEvent` of an OVERLAPPED.
    ///
    /// # Safety
    /// `ov` points to a readable OVERLAPPED.
    pub(crate) unsafe fn event_of(ov: usize) -> u64 {
        unsafe { (*(ov as *const RawOverlapped)).h_event as u64 }
    }

    /// Writes a finished request's result (see the module docs).
    ///
    /// # Safety
    /// The pointers recorded by [`Io::begin`] for this request are still valid (QRY-15).
    pub(crate) unsafe fn complete(&mut self, c: &Completion) {
        let k = (HandleValue(c.handle), c.key);
        let Some(p) = self.pending.get_mut(&k).and_then(VecDeque::pop_front) else {
            return; // issued around the surface (scenario, with_model): nothing to write
        };
        if self.pending.get(&k).is_some_and(VecDeque::is_empty) {
            self.pending.remove(&k);
        }
        self.release_key(p.ov);
        unsafe { write_data(p.buf, p.size, p.cap, c.data) };
        let ov = p.ov as *mut RawOverlapped;
        unsafe {
            (*ov).internal_high = c.bytes as usize;
            (*ov).internal = ntstatus_of(c.status.0) as usize;
        }
        self.signal(HandleValue(c.handle), p.ov, p.event, c.bytes, c.status.0);
    }

    /// The OVERLAPPED of a request that finished at once (AMB-32 `ReturnTrue`): written like
    /// a completion, since Windows also signals the event and queues a packet then.
    ///
    /// # Safety
    /// `ov` points to a writable OVERLAPPED.
    pub(crate) unsafe fn complete_now(&mut self, handle: HandleValue, ov: usize, bytes: u32) {
        let event = unsafe { Io::event_of(ov) };
        let o = ov as *mut RawOverlapped;
        unsafe {
            (*o).internal_high = bytes as usize;
            (*o).internal = ntstatus_of(0) as usize;
        }
        self.signal(handle, ov, event, bytes, 0);
    }

    fn signal(&mut self, handle: HandleValue, ov: usize, event: u64, bytes: u32, status: u32) {
        // As on Windows, an hEvent with its low bit set asks for no completion-port packet.
        let skip_port = event & 1 == 1;
        let event = event & !1;
        if event != 0 {
            self.set_event(event, true);
        }
        if !skip_port {
            if let Some(&(port, key)) = self.assoc.get(&handle) {
                self.post(
                    port,
                    Packet {
                        bytes,
                        key,
                        ov,
                        status,
                    },
                );
            }
        }
    }

    /// Every pending request with its key.
    pub(crate) fn pending_ios(&self) -> impl Iterator<Item = (&(HandleValue, u64), &PendingIo)> {
        self.pending
            .iter()
            .flat_map(|(k, q)| q.iter().map(move |p| (k, p)))
    }

    /// The surface's own invariants.
    pub(crate) fn check(&self) -> Result<(), String> {
        for (&(h, key), p) in self.pending_ios() {
            if self.keys.get(&p.ov) != Some(&key) || key == 0 {
                return Err(format!(
                    "pending I/O on handle {:#x} keyed {key:#x} has OVERLAPPED {:#x}",
                    h.get(),
                    p.ov
                ));
            }
        }
        if let Some((ov, _)) = self
            .keys
            .iter()
            .find(|(ov, _)| !self.pending_ios().any(|(_, p)| p.ov == **ov))
        {
            return Err(format!("OVERLAPPED {ov:#x} keeps a key with no request pending"));
        }
        for (h, (port, _)) in &self.assoc {
            if !matches!(self.object(*port), Some(Object::Port(_))) {
                return Err(format!("handle {:#x} bound to dead port {port:#x}", h.get()));
            }
        }
        Ok(())
    }
}

/// Copies query/notification data to the caller's buffer (at most `cap` bytes) and `*Size`.
///
/// # Safety
/// `buf` is 0 or writable for `cap` bytes; `size` is 0 or a writable `u32`.
pub(crate) unsafe fn write_data(buf: usize, size: usize, cap: u32, data: Option<QueryData>) {
    let Some(d) = data else {
        return;
    };
    let (bytes, len) = d.to_bytes();
    if buf != 0 {
        let n = len.min(cap as usize);
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf as *mut u8, n) };
    }
    if size != 0 {
        unsafe { *(size as *mut u32) = len as u32 };
    }
}

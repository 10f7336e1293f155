//! The DLL's engine: one model, the app's handles and OVERLAPPEDs, the clock and the trace,
//! behind the 11 calls. Platform-independent: everything Windows-specific goes through
//! [`Os`], so the engine is tested on Linux with a fake.
//!
//! **Handles.** The app holds the value of a kernel object [`Os::open_handle`] made; the model
//! knows the handle by its own value. The engine maps one to the other. A value the DLL never
//! issued is passed through, so the model answers it as any unknown value (6, GEN-6); a closed
//! handle's value keeps naming its dead model handle until the OS reuses the value.
//!
//! **OVERLAPPEDs.** As in the in-process surface, the model knows an OVERLAPPED by a key issued
//! in call order and released when no request uses it, so traces never depend on addresses.
//! An accepted request ([`Os::begin`]) remembers where its result goes; when the model delivers
//! its completion, the data is written to the caller's buffer and `*Size` first, then
//! [`Os::complete`] completes the OVERLAPPED.
//!
//! **Time.** [`Clock::Wall`]: before every call and on every [`Engine::tick`] the model's clock
//! is brought to the wall time since the start, times the speed factor. [`Clock::Virtual`]:
//! the clock moves only inside a blocking call, and on a tick when a request is pending and
//! the app has made no call for `idle_ms`: then it jumps to the next scheduled event, as a
//! wait does in the in-process sim. Everything due at the current time is run at the end of
//! every call, so cancellations and aborts are delivered before the call returns.
//!
//! **Trace.** After every call and tick, new events are rendered in the CLI's text format and
//! written (and flushed) at once, so the file is complete whenever the process ends.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use qwave_sim::call::{self, Call, SetOp};
use qwave_sim::ffi::config::{Clock, Config};
use qwave_sim::ffi::{self};
use qwave_sim::model::{CallOutput, CallResult, HandleState, Model, Protocol, VirtualTime, Win32Error};
use qwave_sim::trace::{self, Format, Names};

/// `sizeof(OVERLAPPED)` on 64-bit Windows.
pub const OVERLAPPED_SIZE: usize = 32;

/// A real socket as the OS reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketView {
    /// UDP or TCP.
    pub protocol: Protocol,
    /// Its local address (the unspecified address, port 0, while unbound).
    pub local: SocketAddr,
    /// Its peer, if connected.
    pub peer: Option<SocketAddr>,
}

/// What the engine needs from the operating system.
pub trait Os {
    /// Creates the kernel object a new QoS handle is; returns the value the app gets, or the
    /// Win32 error `QOSCreateHandle` reports.
    fn open_handle(&mut self) -> Result<u64, u32>;
    /// Closes it (after its last completion was delivered).
    fn close_handle(&mut self, app: u64);
    /// The app's socket `s` as the OS sees it; `None` if `s` is no UDP or TCP socket.
    fn socket(&mut self, s: u64) -> Option<SocketView>;
    /// Whether `len` bytes at `p` (non-NULL) can be read.
    fn readable(&self, p: *const u8, len: usize) -> bool;
    /// Whether `len` bytes at `p` (non-NULL) can be written.
    fn writable(&self, p: *mut u8, len: usize) -> bool;
    /// A request with the OVERLAPPED at `ov` was accepted on the QoS handle `app`: mark it
    /// pending as Windows does. Returns a token handed back to [`Os::complete`] (0 = none).
    ///
    /// # Safety
    /// `ov` points to a writable OVERLAPPED.
    unsafe fn begin(&mut self, app: u64, ov: usize) -> usize;
    /// Completes the OVERLAPPED at `ov` with a Win32 status and a byte count: its status
    /// fields, its event and the completion port `app` is bound to. `app` is `None` if the
    /// handle's object is gone (then only the OVERLAPPED and its event can be completed).
    ///
    /// # Safety
    /// `ov` points to a writable OVERLAPPED, still the caller's (QRY-15).
    unsafe fn complete(&mut self, app: Option<u64>, ov: usize, token: usize, status: u32, bytes: u32);
}

/// What a call returns to the export: `Ok` for TRUE, `Err(code)` for FALSE with that last error.
pub type Ret = Result<(), u32>;

/// Where an accepted request's result goes.
#[derive(Clone, Copy, Debug)]
struct Pending {
    ov: usize,
    size: usize,
    buf: usize,
    cap: u32,
    token: usize,
}

/// The engine (see the module docs).
pub struct Engine<O: Os> {
    /// The operating system side.
    pub os: O,
    model: Model,
    clock: Clock,
    start: Instant,
    /// App value → (model value, still open).
    handles: BTreeMap<u64, (u64, bool)>,
    /// Open model handle → app value.
    by_model: BTreeMap<u64, u64>,
    /// OVERLAPPED address → key.
    keys: BTreeMap<usize, u64>,
    last_key: u64,
    /// (model handle, key) → accepted requests, oldest first.
    pending: BTreeMap<(u64, u64), VecDeque<Pending>>,
    /// What the model was last told about each real socket.
    seen: BTreeMap<u64, SocketView>,
    /// Trace names: sockets by order of first use.
    names: Names,
    trace: Option<Box<dyn Write + Send>>,
    last_call: Instant,
}

fn is_pending(r: &CallResult) -> bool {
    matches!(r, Err(e) if e.code == Win32Error::ERROR_IO_PENDING)
}

fn ret(r: &CallResult) -> Ret {
    match r {
        Ok(_) => Ok(()),
        Err(e) => Err(e.code.0),
    }
}

impl<O: Os> Engine<O> {
    /// An engine for `config`; the trace (if any) starts with [`Config::header`].
    pub fn new(config: &Config, os: O, trace: Option<Box<dyn Write + Send>>) -> Engine<O> {
        let mut model = config.model();
        model.set_recording(trace.is_some());
        let now = Instant::now();
        let mut e = Engine {
            os,
            model,
            clock: config.clock,
            start: now,
            handles: BTreeMap::new(),
            by_model: BTreeMap::new(),
            keys: BTreeMap::new(),
            last_key: 0,
            pending: BTreeMap::new(),
            seen: BTreeMap::new(),
            names: Names::default(),
            trace,
            last_call: now,
        };
        if let Some(t) = e.trace.as_mut() {
            let _ = writeln!(t, "{}", config.header());
            let _ = t.flush();
        }
        e
    }

    /// The model (for assertions).
    pub fn model(&self) -> &Model {
        &self.model
    }

    // ----- time -----

    fn wall_time(&self, at: Instant) -> VirtualTime {
        match self.clock {
            Clock::Wall { speed } => {
                VirtualTime((at.saturating_duration_since(self.start).as_secs_f64() * speed * 1e6) as u64)
            }
            Clock::Virtual { .. } => self.model.now(),
        }
    }

    /// The wall instant model time `t` is reached at (wall clock), if representable.
    fn wall_instant(&self, t: VirtualTime) -> Option<Instant> {
        match self.clock {
            Clock::Wall { speed } => Duration::try_from_secs_f64(t.0 as f64 / 1e6 / speed)
                .ok()
                .and_then(|d| self.start.checked_add(d)),
            Clock::Virtual { .. } => None,
        }
    }

    /// Wall clock: the model's clock catches up with the wall.
    fn sync(&mut self) {
        if let Clock::Wall { .. } = self.clock {
            let t = self.wall_time(Instant::now());
            ffi::run_until(&mut self.model, t);
        }
    }

    fn enter(&mut self) {
        self.sync();
    }

    fn leave(&mut self) {
        self.model.settle();
        self.deliver();
        self.flush();
        self.last_call = Instant::now();
    }

    /// The timer: delivers what is due, and returns when it wants to run next (`None`: only
    /// after the next call). Called by the DLL's timer thread, and after every call.
    pub fn tick(&mut self, now: Instant) -> Option<Instant> {
        match self.clock {
            Clock::Wall { .. } => {
                self.sync();
                self.model.settle();
                self.deliver();
                self.flush();
                self.model.next_event_time().and_then(|t| self.wall_instant(t))
            }
            Clock::Virtual { idle_ms } => {
                if self.model.pending_count() == 0 {
                    return None;
                }
                let idle = Duration::from_millis(idle_ms);
                let due = self.last_call + idle;
                if now < due {
                    return Some(due);
                }
                let next = self.model.next_event_time()?;
                self.model.advance_to(next);
                self.deliver();
                self.flush();
                self.last_call = now;
                (self.model.pending_count() > 0).then_some(now + idle)
            }
        }
    }

    // ----- outputs -----

    fn flush(&mut self) {
        let Some(out) = self.trace.as_mut() else {
            return;
        };
        let events = self.model.take_events();
        if events.is_empty() {
            return;
        }
        let text = trace::render(&events, &self.names, Format::Text);
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Writes every completion the model delivered: data, then the OVERLAPPED.
    fn deliver(&mut self) {
        for c in self.model.take_completions() {
            let k = (c.handle, c.key);
            let Some(p) = self.pending.get_mut(&k).and_then(VecDeque::pop_front) else {
                continue;
            };
            if self.pending.get(&k).is_some_and(VecDeque::is_empty) {
                self.pending.remove(&k);
            }
            self.release_key(p.ov);
            // SAFETY: the pointers were checked and recorded when the request was accepted;
            // qos2.h requires them to stay valid until it completes (QRY-15).
            unsafe {
                ffi::write_data(p.buf as *mut u8, p.size as *mut u32, p.cap, c.data);
                let app = self.by_model.get(&c.handle).copied();
                self.os.complete(app, p.ov, p.token, c.status.0, c.bytes);
            }
        }
    }

    // ----- handles, keys, sockets -----

    fn model_handle(&self, app: u64) -> u64 {
        match self.handles.get(&app) {
            Some(&(m, _)) => m,
            // A value the DLL never issued: the model answers it as unknown, unless it happens
            // to be one of the model's own values, which the app never saw.
            None if self.model.handle(app).is_some() => 0,
            None => app,
        }
    }

    fn app_of(&self, model_handle: u64) -> Option<u64> {
        self.by_model.get(&model_handle).copied()
    }

    fn key_of(&mut self, ov: usize) -> u64 {
        if let Some(&k) = self.keys.get(&ov) {
            return k;
        }
        self.last_key += 1;
        self.keys.insert(ov, self.last_key);
        self.last_key
    }

    fn release_key(&mut self, ov: usize) {
        if !self.pending.values().flatten().any(|p| p.ov == ov) {
            self.keys.remove(&ov);
        }
    }

    /// Tells the model about the app's real socket `s` when what the OS says changed.
    fn observe(&mut self, s: u64) {
        if s == 0 {
            return;
        }
        let Some(v) = self.os.socket(s) else {
            return;
        };
        let known = self.model.socket_info(s).is_some_and(|x| x.external && !x.closed);
        if !known || self.seen.get(&s) != Some(&v) {
            ffi::register_external_socket(&mut self.model, s, v.protocol, v.local, v.peer);
            self.seen.insert(s, v);
        }
        if !self.names.sockets.contains_key(&s) {
            let n = self.names.sockets.len() + 1;
            self.names.sockets.insert(s, format!("s{n}"));
        }
    }

    /// The answer to a call with a pointer the process cannot access: what the model gives
    /// first (AMB-33: the handle), else `ERROR_INVALID_PARAMETER` as for a NULL (AMB-6).
    fn bad_pointer(&self, handle: u64) -> u32 {
        match self.model.handle(handle).map(|h| h.state) {
            Some(HandleState::Open) => Win32Error::ERROR_INVALID_PARAMETER.0,
            Some(HandleState::Stale) => Win32Error::ERROR_DEVICE_REINITIALIZATION_NEEDED.0,
            _ => Win32Error::ERROR_INVALID_HANDLE.0,
        }
    }

    fn ok_read<T>(&self, p: *const T, len: usize) -> bool {
        p.is_null() || len == 0 || self.os.readable(p.cast(), len)
    }

    fn ok_write<T>(&self, p: *mut T, len: usize) -> bool {
        p.is_null() || len == 0 || self.os.writable(p.cast(), len)
    }

    /// Whether a `SOCKADDR` pointer is NULL or readable for its family's size.
    fn ok_sockaddr(&self, p: *const u8) -> bool {
        if p.is_null() {
            return true;
        }
        if !self.os.readable(p, 2) {
            return false;
        }
        // SAFETY: two readable bytes.
        let family = unsafe { u16::from_ne_bytes([*p, *p.add(1)]) };
        let len = match family {
            2 => 16,
            23 => 28,
            _ => 2,
        };
        self.os.readable(p, len)
    }

    /// The end of every overlapped-capable call: remember an accepted request (GEN-3), complete
    /// at once one that finished at once (AMB-32), release the key if no request uses it.
    fn settle_overlapped(&mut self, r: &CallResult, handle: u64, p: Pending) {
        if p.ov == 0 {
            return;
        }
        let app = self.app_of(handle);
        if is_pending(r) {
            let token = match app {
                // SAFETY: `ov` was checked writable for an OVERLAPPED.
                Some(a) => unsafe { self.os.begin(a, p.ov) },
                None => 0,
            };
            let key = self.key_of(p.ov);
            self.pending
                .entry((handle, key))
                .or_default()
                .push_back(Pending { token, ..p });
        } else if let Ok(out) = r {
            let bytes = match out {
                CallOutput::Data(_, n) => *n,
                _ => 0,
            };
            // SAFETY: as above; Windows completes the OVERLAPPED of a request that finished at
            // once too.
            unsafe { self.os.complete(app, p.ov, 0, 0, bytes) };
        }
        self.release_key(p.ov);
    }

    // ----- the 11 calls -----

    /// `QOSCreateHandle`; `out` is a `HANDLE*`.
    ///
    /// # Safety
    /// Pointers are NULL, valid, or rejected by [`Os::readable`] / [`Os::writable`].
    pub unsafe fn create_handle(&mut self, version: *const u16, out: *mut u64) -> Ret {
        self.enter();
        let r = if !self.ok_read(version, 4) || !self.ok_write(out, 8) {
            Err(Win32Error::ERROR_INVALID_PARAMETER.0) // CRE-1, CRE-2: as for NULL
        } else {
            let call = unsafe { ffi::create_handle(version, out.is_null()) };
            match self.model.apply(Call::CreateHandle(call)) {
                Ok(CallOutput::Handle(h)) => match self.os.open_handle() {
                    Ok(app) => {
                        if let Some((old, true)) = self.handles.insert(app, (h, true)) {
                            self.by_model.remove(&old);
                        }
                        self.by_model.insert(h, app);
                        unsafe { out.write_unaligned(app) };
                        Ok(())
                    }
                    Err(code) => {
                        let _ = self
                            .model
                            .apply(Call::CloseHandle(call::CloseHandle { handle: h }));
                        Err(code)
                    }
                },
                r => ret(&r),
            }
        };
        self.leave();
        r
    }

    /// `QOSCloseHandle`: pending requests complete (995) before the handle's object closes.
    pub fn close_handle(&mut self, app: u64) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        let r = self
            .model
            .apply(Call::CloseHandle(call::CloseHandle { handle: h }));
        if r.is_ok() {
            self.model.settle();
            self.deliver();
            if let Some(e) = self.handles.get_mut(&app) {
                if e.1 {
                    e.1 = false;
                    self.by_model.remove(&h);
                    self.os.close_handle(app);
                }
            }
        }
        self.leave();
        ret(&r)
    }

    /// `QOSAddSocketToFlow`.
    ///
    /// # Safety
    /// As [`Engine::create_handle`].
    pub unsafe fn add_socket_to_flow(
        &mut self,
        app: u64,
        socket: u64,
        dest: *const u8,
        traffic_type: i32,
        flags: u32,
        flow_id: *mut u32,
    ) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        let r = if !self.ok_sockaddr(dest) || !self.ok_write(flow_id, 4) {
            Err(self.bad_pointer(h))
        } else {
            self.observe(socket);
            let call = unsafe { ffi::add_socket_to_flow(h, socket, dest, traffic_type, flags, flow_id) };
            let r = self.model.apply(Call::AddSocketToFlow(call));
            if let Ok(CallOutput::Flow(id)) = r {
                unsafe { flow_id.write_unaligned(id) };
            }
            ret(&r)
        };
        self.leave();
        r
    }

    /// `QOSRemoveSocketFromFlow`.
    pub fn remove_socket_from_flow(&mut self, app: u64, socket: u64, flow: u32, flags: u32) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        self.observe(socket);
        let r = self
            .model
            .apply(Call::RemoveSocketFromFlow(call::RemoveSocketFromFlow {
                handle: h,
                socket,
                flow,
                flags,
            }));
        self.leave();
        ret(&r)
    }

    /// `QOSSetFlow`.
    ///
    /// # Safety
    /// As [`Engine::create_handle`]; with `ov`, everything stays valid until completion.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn set_flow(
        &mut self,
        app: u64,
        flow: u32,
        op: i32,
        size: u32,
        buffer: *const u8,
        flags: u32,
        ov: *mut u8,
    ) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        let read = if SetOp::size_of(op) == Some(size) {
            size as usize
        } else {
            0
        };
        let r = if !self.ok_read(buffer, read) || !self.ok_write(ov, OVERLAPPED_SIZE) {
            Err(self.bad_pointer(h))
        } else {
            let key = (!ov.is_null()).then(|| self.key_of(ov as usize));
            let call = unsafe { ffi::set_flow(h, flow, op, size, buffer, flags, key) };
            let r = self.model.apply(Call::SetFlow(call));
            let p = Pending {
                ov: ov as usize,
                size: 0,
                buf: 0,
                cap: 0,
                token: 0,
            };
            self.settle_overlapped(&r, h, p);
            ret(&r)
        };
        self.leave();
        r
    }

    /// `QOSQueryFlow`.
    ///
    /// # Safety
    /// As [`Engine::set_flow`].
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn query_flow(
        &mut self,
        app: u64,
        flow: u32,
        op: i32,
        size: *mut u32,
        buffer: *mut u8,
        flags: u32,
        ov: *mut u8,
    ) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        // SAFETY: the caller's pointers, as this function's contract says.
        let r = unsafe {
            self.sized_call(h, size, buffer, ov, |e, key| {
                let call = ffi::query_flow(h, flow, op, size, buffer.is_null(), flags, key);
                e.model.apply(Call::QueryFlow(call))
            })
        };
        self.leave();
        r
    }

    /// `QOSNotifyFlow`. Also returns, for a blocking call on the wall clock, the wall instant
    /// the model's answer belongs to: the export sleeps until then, outside the lock.
    ///
    /// # Safety
    /// As [`Engine::set_flow`].
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn notify_flow(
        &mut self,
        app: u64,
        flow: u32,
        op: i32,
        size: *mut u32,
        buffer: *mut u8,
        flags: u32,
        ov: *mut u8,
    ) -> (Ret, Option<Instant>) {
        self.enter();
        let h = self.model_handle(app);
        let mut until = None;
        // SAFETY: the caller's pointers, as this function's contract says.
        let r = unsafe {
            self.sized_call(h, size, buffer, ov, |e, key| {
                let call = ffi::notify_flow(h, flow, op, size, buffer, flags, key);
                let before = e.model.now();
                let r = e.model.apply(Call::NotifyFlow(call));
                if ov.is_null() && e.model.now() > before {
                    until = e.wall_instant(e.model.now()); // a blocking call (NOT-12)
                }
                r
            })
        };
        self.leave();
        (r, until)
    }

    /// What `QOSQueryFlow` and `QOSNotifyFlow` share around their model call `apply` (given the
    /// OVERLAPPED's key): `*Size`, the buffer it sizes and the OVERLAPPED are checked first
    /// (a bad one fails as [`Engine::bad_pointer`] says); after the call, the data or the required size is
    /// written back and an overlapped answer settled.
    ///
    /// # Safety
    /// `size`, `buffer` and `ov` are the app's pointers, checked here before any use.
    unsafe fn sized_call(
        &mut self,
        h: u64,
        size: *mut u32,
        buffer: *mut u8,
        ov: *mut u8,
        apply: impl FnOnce(&mut Self, Option<u64>) -> CallResult,
    ) -> Ret {
        if !self.ok_write(size, 4) {
            return Err(self.bad_pointer(h));
        }
        let cap = unsafe { ffi::opt_u32(size) }.unwrap_or(0);
        if !self.ok_write(buffer, cap as usize) || !self.ok_write(ov, OVERLAPPED_SIZE) {
            return Err(self.bad_pointer(h));
        }
        let key = (!ov.is_null()).then(|| self.key_of(ov as usize));
        let r = apply(self, key);
        match &r {
            Ok(CallOutput::Data(d, _)) => unsafe { ffi::write_data(buffer, size, cap, Some(*d)) },
            Err(e) => unsafe { ffi::write_error_size(e, size) },
            Ok(_) => {}
        }
        let p = Pending {
            ov: ov as usize,
            size: size as usize,
            buf: buffer as usize,
            cap,
            token: 0,
        };
        self.settle_overlapped(&r, h, p);
        ret(&r)
    }

    /// `QOSCancel` (the OVERLAPPED is only compared, never read).
    pub fn cancel(&mut self, app: u64, ov: *const u8) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        let overlapped = (!ov.is_null()).then(|| self.key_of(ov as usize));
        let r = self.model.apply(Call::Cancel(call::Cancel {
            handle: h,
            overlapped,
        }));
        if !ov.is_null() {
            self.release_key(ov as usize);
        }
        self.leave();
        ret(&r)
    }

    /// `QOSEnumerateFlows`.
    ///
    /// # Safety
    /// As [`Engine::create_handle`].
    pub unsafe fn enumerate_flows(&mut self, app: u64, size: *mut u32, buffer: *mut u8) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        let r = if !self.ok_write(size, 4) {
            Err(self.bad_pointer(h))
        } else {
            let cap = unsafe { ffi::opt_u32(size) }.unwrap_or(0);
            if !self.ok_write(buffer, cap as usize) {
                Err(self.bad_pointer(h))
            } else {
                let call = unsafe { ffi::enumerate_flows(h, size, buffer.is_null()) };
                let r = self.model.apply(Call::EnumerateFlows(call));
                match &r {
                    Ok(CallOutput::Flows(ids)) => unsafe { ffi::write_flows(ids, buffer, size, cap) },
                    Err(e) => unsafe { ffi::write_error_size(e, size) },
                    Ok(_) => {}
                }
                ret(&r)
            }
        };
        self.leave();
        r
    }

    /// `QOSStartTrackingClient` (`start`) or `QOSStopTrackingClient`.
    ///
    /// # Safety
    /// As [`Engine::create_handle`].
    pub unsafe fn tracking(&mut self, app: u64, dest: *const u8, flags: u32, start: bool) -> Ret {
        self.enter();
        let h = self.model_handle(app);
        let r = if !self.ok_sockaddr(dest) {
            Err(self.bad_pointer(h))
        } else {
            let c = unsafe { ffi::tracking(h, dest, flags) };
            let call = if start {
                Call::StartTrackingClient(c)
            } else {
                Call::StopTrackingClient(c)
            };
            ret(&self.model.apply(call))
        };
        self.leave();
        r
    }
}

#[cfg(test)]
mod tests;

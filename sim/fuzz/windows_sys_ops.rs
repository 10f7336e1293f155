//! The `windows_sys_ops` fuzz target's body: arbitrary bytes as a sequence of raw
//! [`crate::windows_sys`] calls on a [`Sim`] entered on the thread — the 11 QOS functions,
//! WinSock, `GetOverlappedResult`, `CancelIoEx`, events and completion ports — with arguments
//! picked by the bytes: live handles, sockets and flows, NULL pointers, garbage values, wrong
//! `*Size` values, out-of-range operations and traffic types, unknown address families.
//!
//! A QOS call is drawn as a [`Call<Sym>`] (the same `arbitrary` impls as the `model_ops`
//! target), resolved against what the run was handed ([`Issued`]), and lowered to the
//! pointer call by one function, `Fuzz::lower`: the inverse of the surface's decoding.
//!
//! Memory rules the driver keeps (an app breaking them corrupts memory on Windows too): every
//! buffer is at least [`BUF_BYTES`] bytes (more than any qWAVE structure) whatever `*Size`
//! claims, `QOSEnumerateFlows` gets [`ENUM_BUF_BYTES`] (more than 4 bytes × the most flows
//! [`MAX_SYS_CALLS`] calls can create), socket addresses live in a 128-byte
//! `SOCKADDR_STORAGE`-sized buffer and `namelen` never claims more, and every OVERLAPPED,
//! buffer and `*Size` handed to a call stays allocated until the `Sim` is dropped.
//!
//! After every call: [`Sim::check_invariants`], the cross-step
//! [`InvariantChecker`](crate::model::invariants::InvariantChecker), and the last-error rules
//! (GEN-1, GEN-2): a call returning TRUE leaves a pre-seeded last error untouched, one
//! returning FALSE (or NULL, or `INVALID_SOCKET`) replaces it.

use std::ffi::c_void;
use std::fmt;
use std::ptr::{null, null_mut};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};

use super::op::{c_form, AddrArg, HandleArg, Issued, SocketArg, Sym};
use crate::call::{Call, Resolve};
use crate::model::invariants::InvariantChecker;
use crate::model::{Fault, OverlappedKey, SockAddrIn, World};
use crate::windows_sys::core::BOOL;
use crate::windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, SetLastError, FALSE, HANDLE, INVALID_HANDLE_VALUE,
};
use crate::windows_sys::Win32::NetworkManagement::QoS::*;
use crate::windows_sys::Win32::Networking::WinSock::*;
use crate::windows_sys::Win32::System::Threading::{
    CreateEventW, ResetEvent, SetEvent, WaitForSingleObject, INFINITE,
};
use crate::windows_sys::Win32::System::IO::{
    CancelIoEx, CreateIoCompletionPort, GetOverlappedResult, GetQueuedCompletionStatus,
    PostQueuedCompletionStatus, OVERLAPPED,
};
use crate::windows_sys::{from_raw, raw};
use crate::Sim;

/// Most calls one input makes.
pub const MAX_SYS_CALLS: usize = 256;
/// Size of every QOS buffer handed to the sim (the largest structure is 40 bytes).
pub const BUF_BYTES: usize = 64;
/// Size of the `QOSEnumerateFlows` buffer.
pub const ENUM_BUF_BYTES: usize = 4096;

/// The last error seeded before every call.
const SEED_ERROR: u32 = 0xDEAD_BEEF;

/// A call that broke an invariant or a last-error rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysFinding {
    /// Index of the culprit call.
    pub call: usize,
    /// What broke.
    pub what: String,
    /// Every call made, in C form with its return value and last error.
    pub log: Vec<String>,
}

impl fmt::Display for SysFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "call {}: {}", self.call, self.what)?;
        for l in &self.log {
            writeln!(f, "  {l}")?;
        }
        Ok(())
    }
}

/// What a call returned, for the last-error rules.
enum Ret {
    /// A BOOL function.
    Bool(BOOL),
    /// A function returning a handle (NULL = failure).
    Handle(HANDLE),
    /// `socket()`.
    Socket(SOCKET),
    /// WinSock `int` (0 = success, else `SOCKET_ERROR` with the WSA error).
    Int(i32),
    /// `WaitForSingleObject` and calls without a failure convention.
    Other(String),
}

/// 8-aligned storage of `N` bytes.
#[repr(C, align(8))]
struct Buf<const N: usize>([u8; N]);

impl<const N: usize> Buf<N> {
    fn boxed() -> Box<Self> {
        Box::new(Buf([0; N]))
    }
    fn ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }
}

/// Everything the sim may hold a pointer to, kept until after the sim is dropped. Boxed so
/// the addresses stay put when the vectors grow.
#[derive(Default)]
#[allow(clippy::vec_box)]
struct Keep {
    /// The run's OVERLAPPEDs, by key: [`Sym`] OVERLAPPED `k` is always the same one.
    overlapped: Vec<(OverlappedKey, Box<OVERLAPPED>)>,
    bufs: Vec<Box<Buf<BUF_BYTES>>>,
    sizes: Vec<Box<u32>>,
}

struct Fuzz<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    sim: Sim,
    checker: InvariantChecker,
    /// QoS handles, events and ports the sim returned (closed ones stay: stale values),
    /// sockets, flow ids.
    issued: Issued,
    keep: Keep,
    log: Vec<String>,
}

/// Runs `data` as raw windows-sys calls on a fresh [`Sim`]; `Ok` when every call kept every
/// invariant and last-error rule. A panic is a finding too (the functions are
/// `extern "system"`, so it aborts).
pub fn windows_sys_bytes(data: &[u8]) -> Result<(), SysFinding> {
    windows_sys_calls(data).map(drop)
}

/// [`windows_sys_bytes`], returning the calls made: one line each, in C form with the return
/// value and the last error (`QOSQueryFlow(h0, flow0, 0, &40, &buf, 0x0, &ov0) -> FALSE (last
/// error 0x3e5)`), to see what an input does.
pub fn windows_sys_calls(data: &[u8]) -> Result<Vec<String>, SysFinding> {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let sim = Sim::builder().seed(seed).world(World::default()).build();
    let guard = sim.enter();
    let mut f = Fuzz {
        u: &mut u,
        sim: sim.clone(),
        checker: InvariantChecker::new(),
        issued: Issued::default(),
        keep: Keep::default(),
        log: Vec::new(),
    };
    let r = f.run().map(|()| std::mem::take(&mut f.log));
    let keep = std::mem::take(&mut f.keep);
    drop(f);
    drop(guard);
    drop(sim); // the last reference is gone before the memory it may point to
    drop(keep);
    r
}

impl Fuzz<'_, '_> {
    fn run(&mut self) -> Result<(), SysFinding> {
        self.check(0)?;
        for i in 0..MAX_SYS_CALLS {
            if self.u.is_empty() {
                break;
            }
            unsafe { SetLastError(SEED_ERROR) };
            let (text, ret) = self.call();
            let err = unsafe { GetLastError() };
            self.log
                .push(format!("{text} -> {} (last error {err:#x})", show(&ret)));
            self.last_error_rule(i, &ret, err)?;
            self.check(i)?;
        }
        Ok(())
    }

    fn finding(&self, call: usize, what: String) -> SysFinding {
        SysFinding {
            call,
            what,
            log: self.log.clone(),
        }
    }

    fn check(&mut self, i: usize) -> Result<(), SysFinding> {
        if let Err(v) = self.sim.check_invariants() {
            return Err(self.finding(i, v.to_string()));
        }
        let checker = &mut self.checker;
        if let Err(v) = self.sim.with_model(|m| checker.observe(m)) {
            return Err(self.finding(i, v.to_string()));
        }
        // The incremental check agrees with the full one, and kept track of every change.
        if let Err(v) = self.sim.with_model(|m| m.check_invariants_both()) {
            return Err(self.finding(i, v.to_string()));
        }
        Ok(())
    }

    /// GEN-1/GEN-2: success leaves the seeded last error alone; failure replaces it.
    fn last_error_rule(&self, i: usize, ret: &Ret, err: u32) -> Result<(), SysFinding> {
        let failed = match ret {
            Ret::Bool(b) => *b == FALSE,
            Ret::Handle(h) => h.is_null(),
            Ret::Socket(s) => *s == INVALID_SOCKET,
            Ret::Int(_) | Ret::Other(_) => return Ok(()),
        };
        if !failed && err != SEED_ERROR {
            return Err(self.finding(i, format!("success wrote the last error ({err:#x}, GEN-2)")));
        }
        if failed && (err == SEED_ERROR || err == 0) {
            return Err(self.finding(i, format!("failure left the last error at {err:#x} (GEN-1)")));
        }
        Ok(())
    }

    /// One call: a QOS function 11 times in 26, else WinSock, I/O, events, time or a fault.
    fn call(&mut self) -> (String, Ret) {
        match self.byte() % 26 {
            0..=10 => self.qos(),
            11 => self.socket(),
            12 | 13 => self.bind_or_connect(),
            14 => {
                let s = self.socket_arg();
                (format!("closesocket({s})"), Ret::Int(unsafe { closesocket(s) }))
            }
            15 => self.setsockopt(),
            16 => self.get_name(),
            17 => self.get_overlapped_result(),
            18 => {
                let h = self.handle();
                let ov = self.overlapped_existing(true);
                let r = unsafe { CancelIoEx(h, ov) };
                (format!("CancelIoEx({h:?}, {ov:?})"), Ret::Bool(r))
            }
            19 => self.create_port(),
            20 => self.get_queued(),
            21 => {
                let port = self.handle();
                let (n, key) = (self.u32_any(), self.byte() as usize);
                let ov = self.overlapped_existing(true);
                let r = unsafe { PostQueuedCompletionStatus(port, n, key, ov) };
                let text = format!("PostQueuedCompletionStatus({port:?}, {n}, {key}, {ov:?})");
                (text, Ret::Bool(r))
            }
            22 => self.event_call(),
            23 => self.advance(),
            24 => {
                let f: Fault = self.u.arbitrary().unwrap_or(Fault::DeviceReset);
                let text = format!("inject({f:?})");
                self.sim.inject(f);
                (text, Ret::Other("done".into()))
            }
            _ => self.wsa_startup_or_cleanup(),
        }
    }

    // ---- the 11 QOS functions ----

    /// A [`Call<Sym>`] from the bytes, resolved and lowered.
    fn qos(&mut self) -> (String, Ret) {
        let sym = Call::<Sym>::arbitrary(self.u).unwrap_or(Call::CloseHandle(crate::call::CloseHandle {
            handle: HandleArg::Null,
        }));
        let call = sym.map(&mut self.issued);
        (c_form(&sym), Ret::Bool(self.lower(&call)))
    }

    /// Makes `call` as a C caller would — the inverse of the surface's decoding: a
    /// `QOS_VERSION`, `SOCKADDR`s, `*Size` and `*FlowId` cells, buffers holding the operation's
    /// bytes, the OVERLAPPED the key names — and remembers the handle or flow id it returns.
    fn lower(&mut self, call: &Call) -> BOOL {
        let h = |v: u64| from_raw(v);
        match call {
            Call::CreateHandle(c) => {
                let v = c.version.map(|(a, b)| QOS_VERSION {
                    MajorVersion: a,
                    MinorVersion: b,
                });
                let mut out: HANDLE = null_mut();
                let vp = v.as_ref().map_or(null(), |v| v as *const QOS_VERSION);
                let r = unsafe { QOSCreateHandle(vp, if c.out { &mut out } else { null_mut() }) };
                if r != FALSE && c.out {
                    self.issued.handles.push(raw(out));
                }
                r
            }
            Call::CloseHandle(c) => unsafe { QOSCloseHandle(h(c.handle)) },
            Call::AddSocketToFlow(c) => {
                let (dest, mut flow) = (sockaddr(c.dest), c.flow.unwrap_or(0));
                let fp: *mut u32 = if c.flow.is_some() { &mut flow } else { null_mut() };
                let (s, tt) = (c.socket as SOCKET, c.traffic_type.raw());
                let r = unsafe { QOSAddSocketToFlow(h(c.handle), s, ptr(&dest), tt, c.flag_bits(), fp) };
                if r != FALSE && c.flow.is_some() {
                    self.issued.saw_flow(flow);
                }
                r
            }
            Call::RemoveSocketFromFlow(c) => unsafe {
                QOSRemoveSocketFromFlow(h(c.handle), c.socket as SOCKET, c.flow, c.flags)
            },
            Call::SetFlow(c) => {
                let (buf, ov) = (self.buffer(c.op.bytes()), self.overlapped(c.overlapped));
                let (op, size) = (c.op.code(), c.op.size());
                unsafe { QOSSetFlow(h(c.handle), c.flow, op, size, buf, c.flags, ov) }
            }
            Call::QueryFlow(c) => {
                let (size, buf) = (self.size(c.size), self.buffer(c.buffer.then(Vec::new)));
                let ov = self.overlapped(c.overlapped);
                let (op, flags) = (c.op.code(), c.flag_bits());
                unsafe { QOSQueryFlow(h(c.handle), c.flow, op, size, buf, flags, ov) }
            }
            Call::NotifyFlow(c) => {
                let buf = self.buffer(c.target().map(|t| t.to_le_bytes().to_vec()));
                let (size, ov) = (self.size(c.size), self.overlapped(c.overlapped));
                unsafe { QOSNotifyFlow(h(c.handle), c.flow, c.op.code(), size, buf, c.flags, ov) }
            }
            Call::Cancel(c) => unsafe { QOSCancel(h(c.handle), self.overlapped(c.overlapped)) },
            Call::EnumerateFlows(c) => {
                let mut b = Buf::<ENUM_BUF_BYTES>::boxed();
                let buf = if c.buffer { b.ptr() } else { null_mut() };
                unsafe { QOSEnumerateFlows(h(c.handle), self.size(c.size), buf) }
            }
            Call::StartTrackingClient(c) => unsafe {
                QOSStartTrackingClient(h(c.handle), ptr(&sockaddr(c.client)), c.flags)
            },
            Call::StopTrackingClient(c) => unsafe {
                QOSStopTrackingClient(h(c.handle), ptr(&sockaddr(c.client)), c.flags)
            },
        }
    }

    /// A `*Size` cell holding `v` (NULL for `None`), kept.
    fn size(&mut self, v: Option<u32>) -> *mut u32 {
        let Some(v) = v else { return null_mut() };
        self.keep.sizes.push(Box::new(v));
        &mut **self.keep.sizes.last_mut().expect("just pushed")
    }

    /// A kept [`BUF_BYTES`] buffer starting with `bytes` (NULL for `None`).
    fn buffer(&mut self, bytes: Option<Vec<u8>>) -> *mut c_void {
        let Some(bytes) = bytes else { return null_mut() };
        let mut b = Buf::<BUF_BYTES>::boxed();
        let n = bytes.len().min(BUF_BYTES);
        b.0[..n].copy_from_slice(&bytes[..n]);
        self.keep.bufs.push(b);
        self.keep.bufs.last_mut().expect("just pushed").ptr()
    }

    /// The OVERLAPPED a key names (NULL for `None`): the same one each time, allocated at first
    /// use; an odd key's has an event (one of the handles issued, which may be no event).
    fn overlapped(&mut self, key: Option<OverlappedKey>) -> *mut OVERLAPPED {
        let Some(key) = key else { return null_mut() };
        let i = match self.keep.overlapped.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let mut ov: Box<OVERLAPPED> = Box::default();
                if key % 2 == 1 {
                    ov.hEvent = from_raw(self.issued.handle(&HandleArg::Issued(key as u8)));
                }
                self.keep.overlapped.push((key, ov));
                self.keep.overlapped.len() - 1
            }
        };
        &mut *self.keep.overlapped[i].1
    }

    // ---- argument choosers for the other calls ----

    fn byte(&mut self) -> u8 {
        self.u.arbitrary().unwrap_or(0)
    }

    fn u32_any(&mut self) -> u32 {
        self.u.arbitrary().unwrap_or(0)
    }

    fn handle(&mut self) -> HANDLE {
        let a: HandleArg = self.u.arbitrary().unwrap_or(HandleArg::Null);
        from_raw(self.issued.handle(&a))
    }

    fn socket_arg(&mut self) -> SOCKET {
        let a: SocketArg = self.u.arbitrary().unwrap_or(SocketArg::Zero);
        self.issued.socket(&a) as SOCKET
    }

    /// A socket address (`None` = NULL).
    fn addr(&mut self) -> Option<SockAddrIn> {
        let a: AddrArg = self.u.arbitrary().unwrap_or_default();
        self.issued.addr(&a)
    }

    fn namelen(&mut self) -> i32 {
        const LENS: [i32; 8] = [0, -1, 2, 15, 16, 27, 28, 128];
        LENS[self.byte() as usize % LENS.len()]
    }

    /// An OVERLAPPED that is only compared or read: NULL, one of the run's, or a garbage
    /// pointer (only where the sim never dereferences it).
    fn overlapped_existing(&mut self, garbage_ok: bool) -> *mut OVERLAPPED {
        match self.byte() % 4 {
            0 => null_mut(),
            1 if garbage_ok => std::ptr::without_provenance_mut(self.u32_any() as usize),
            _ if !self.keep.overlapped.is_empty() => {
                let i = self.byte() as usize % self.keep.overlapped.len();
                &mut *self.keep.overlapped[i].1
            }
            _ => null_mut(),
        }
    }

    fn wait_ms(&mut self) -> u32 {
        match self.byte() % 5 {
            0 | 1 => 0,
            2 => 10,
            3 => 5_000,
            _ => INFINITE,
        }
    }

    fn remember_handle(&mut self, h: HANDLE) {
        if !h.is_null() {
            self.issued.handles.push(raw(h));
        }
    }

    // ---- WinSock ----

    fn socket(&mut self) -> (String, Ret) {
        let af = match self.byte() % 5 {
            0 | 1 => i32::from(AF_INET),
            2 => i32::from(AF_INET6),
            3 => i32::from(AF_UNSPEC),
            _ => i32::from(self.byte()),
        };
        let ty = match self.byte() % 4 {
            0 | 1 => SOCK_DGRAM,
            2 => SOCK_STREAM,
            _ => i32::from(self.byte()),
        };
        let proto = match self.byte() % 4 {
            0 => 0,
            1 => IPPROTO_UDP,
            2 => IPPROTO_TCP,
            _ => i32::from(self.byte()),
        };
        let s = unsafe { socket(af, ty, proto) };
        if s != INVALID_SOCKET {
            self.issued.sockets.push(s as u64);
        }
        (format!("socket({af}, {ty}, {proto})"), Ret::Socket(s))
    }

    fn bind_or_connect(&mut self) -> (String, Ret) {
        let is_bind = self.byte() % 2 == 0;
        let s = self.socket_arg();
        let a = self.addr();
        let st = sockaddr(a);
        let p = ptr(&st);
        let len = self.namelen();
        let r = unsafe {
            if is_bind {
                bind(s, p, len)
            } else {
                connect(s, p, len)
            }
        };
        let name = if is_bind { "bind" } else { "connect" };
        (format!("{name}({s}, {p:?}, {len})"), Ret::Int(r))
    }

    fn setsockopt(&mut self) -> (String, Ret) {
        let s = self.socket_arg();
        let level = if self.byte() % 3 == 0 {
            self.u32_any() as i32
        } else {
            IPPROTO_IPV6
        };
        let opt = if self.byte() % 3 == 0 {
            self.u32_any() as i32
        } else {
            27 // IPV6_V6ONLY
        };
        let val: Box<[u8; 8]> = Box::new([self.byte() % 2, 0, 0, 0, 0, 0, 0, 0]);
        let len = [0, 1, 4, 8, -1][self.byte() as usize % 5];
        let p = if self.byte() % 6 == 0 {
            null()
        } else {
            val.as_ptr()
        };
        let r = unsafe { setsockopt(s, level, opt, p, len) };
        (
            format!("setsockopt({s}, {level}, {opt}, {p:?}, {len})"),
            Ret::Int(r),
        )
    }

    fn get_name(&mut self) -> (String, Ret) {
        let peer = self.byte() % 2 == 0;
        let s = self.socket_arg();
        let mut out: Box<SOCKADDR_STORAGE> = Box::default();
        let mut len = Box::new(self.namelen());
        let p = if self.byte() % 6 == 0 {
            null_mut()
        } else {
            (&mut *out as *mut SOCKADDR_STORAGE).cast()
        };
        let lp: *mut i32 = if self.byte() % 6 == 0 {
            null_mut()
        } else {
            &mut *len
        };
        let r = unsafe {
            if peer {
                getpeername(s, p, lp)
            } else {
                getsockname(s, p, lp)
            }
        };
        let name = if peer { "getpeername" } else { "getsockname" };
        (format!("{name}({s}, {p:?}, {lp:?})"), Ret::Int(r))
    }

    fn wsa_startup_or_cleanup(&mut self) -> (String, Ret) {
        if self.byte() % 2 == 1 {
            return ("WSACleanup()".into(), Ret::Int(unsafe { WSACleanup() }));
        }
        let mut d: Box<WSADATA> = Box::default();
        let p: *mut WSADATA = if self.byte() % 4 == 0 { null_mut() } else { &mut *d };
        let v = if self.byte() % 4 == 0 {
            u16::from(self.byte())
        } else {
            0x0202
        };
        (
            format!("WSAStartup({v:#x}, {p:?})"),
            Ret::Int(unsafe { WSAStartup(v, p) }),
        )
    }

    // ---- I/O, events, time ----

    fn get_overlapped_result(&mut self) -> (String, Ret) {
        let h = self.handle();
        let ov = self.overlapped_existing(false);
        let mut n = Box::new(0u32);
        let np: *mut u32 = if self.byte() % 4 == 0 { null_mut() } else { &mut *n };
        let wait = i32::from(self.byte() % 2);
        let r = unsafe { GetOverlappedResult(h, ov, np, wait) };
        (
            format!("GetOverlappedResult({h:?}, {ov:?}, {np:?}, {wait})"),
            Ret::Bool(r),
        )
    }

    fn create_port(&mut self) -> (String, Ret) {
        let file = if self.byte() % 2 == 0 {
            INVALID_HANDLE_VALUE
        } else {
            self.handle()
        };
        let existing = if self.byte() % 2 == 0 {
            null_mut()
        } else {
            self.handle()
        };
        let key = self.byte() as usize;
        let r = unsafe { CreateIoCompletionPort(file, existing, key, 0) };
        if r != existing {
            self.remember_handle(r);
        }
        (
            format!("CreateIoCompletionPort({file:?}, {existing:?}, {key}, 0)"),
            Ret::Handle(r),
        )
    }

    fn get_queued(&mut self) -> (String, Ret) {
        let port = self.handle();
        let (mut n, mut key) = (Box::new(0u32), Box::new(0usize));
        let mut ovp: Box<*mut OVERLAPPED> = Box::new(null_mut());
        let np: *mut u32 = if self.byte() % 6 == 0 { null_mut() } else { &mut *n };
        let kp: *mut usize = if self.byte() % 6 == 0 {
            null_mut()
        } else {
            &mut *key
        };
        let op: *mut *mut OVERLAPPED = if self.byte() % 6 == 0 {
            null_mut()
        } else {
            &mut *ovp
        };
        let ms = self.wait_ms();
        let r = unsafe { GetQueuedCompletionStatus(port, np, kp, op, ms) };
        (
            format!("GetQueuedCompletionStatus({port:?}, {np:?}, {kp:?}, {op:?}, {ms})"),
            Ret::Bool(r),
        )
    }

    fn event_call(&mut self) -> (String, Ret) {
        let which = self.byte() % 5;
        if which == 0 {
            let (manual, initial) = (i32::from(self.byte() % 2), i32::from(self.byte() % 2));
            let e = unsafe { CreateEventW(null(), manual, initial, null()) };
            self.remember_handle(e);
            let text = format!("CreateEventW(NULL, {manual}, {initial}, NULL)");
            return (text, Ret::Handle(e));
        }
        let h = self.handle();
        match which {
            1 => (format!("SetEvent({h:?})"), Ret::Bool(unsafe { SetEvent(h) })),
            2 => (format!("ResetEvent({h:?})"), Ret::Bool(unsafe { ResetEvent(h) })),
            3 => {
                let ms = self.wait_ms();
                let r = unsafe { WaitForSingleObject(h, ms) };
                let text = format!("WaitForSingleObject({h:?}, {ms})");
                (text, Ret::Other(format!("{r:#x}")))
            }
            _ => (
                format!("CloseHandle({h:?})"),
                Ret::Bool(unsafe { CloseHandle(h) }),
            ),
        }
    }

    fn advance(&mut self) -> (String, Ret) {
        let us = match self.byte() % 6 {
            0 => 0,
            1 => 1_000,
            2 => 100_000,
            3 => 1_000_000,
            4 => 60_000_000,
            _ => u64::from(self.u32_any()),
        };
        self.sim.advance(Duration::from_micros(us));
        (format!("advance({us}us)"), Ret::Other("done".into()))
    }
}

/// A socket address laid out in a 128-byte `SOCKADDR_STORAGE` (`None` stays NULL): the
/// surface's encoding, or just the family for an unknown one.
fn sockaddr(a: Option<SockAddrIn>) -> Option<Box<SOCKADDR_STORAGE>> {
    let a = a?;
    let mut st: Box<SOCKADDR_STORAGE> = Box::default();
    // SAFETY: SOCKADDR_STORAGE is 128 bytes of plain data.
    let bytes: &mut [u8; 128] = unsafe { &mut *(std::ptr::addr_of_mut!(*st).cast()) };
    match a.socket_addr() {
        Some(sa) => {
            let b = crate::surface::addr::encode(sa);
            bytes[..b.len()].copy_from_slice(&b);
        }
        None => {
            let SockAddrIn::BadFamily(f) = a else {
                unreachable!("V4 and V6 have a socket address")
            };
            bytes[..2].copy_from_slice(&f.to_ne_bytes());
        }
    }
    Some(st)
}

/// The `SOCKADDR*` of [`sockaddr`]'s storage (NULL for `None`).
fn ptr(st: &Option<Box<SOCKADDR_STORAGE>>) -> *const SOCKADDR {
    st.as_deref()
        .map_or(null(), |a| (a as *const SOCKADDR_STORAGE).cast())
}

fn show(r: &Ret) -> String {
    match r {
        Ret::Bool(b) => if *b == FALSE { "FALSE" } else { "TRUE" }.into(),
        Ret::Handle(h) => format!("{h:?}"),
        Ret::Socket(s) => format!("{s}"),
        Ret::Int(i) => format!("{i}"),
        Ret::Other(s) => s.clone(),
    }
}

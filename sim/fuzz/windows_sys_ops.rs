//! The `windows_sys_ops` fuzz target's body: arbitrary bytes as a sequence of raw
//! [`crate::windows_sys`] calls on a [`Sim`] entered on the thread — the 11 QOS functions,
//! WinSock, `GetOverlappedResult`, `CancelIoEx`, events and completion ports — with arguments
//! picked by the bytes: live handles, sockets and flows, NULL pointers, garbage values, wrong
//! `*Size` values, out-of-range operations and traffic types, unknown address families.
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

use arbitrary::Unstructured;

use crate::model::invariants::InvariantChecker;
use crate::model::{Fault, World};
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
use crate::Sim;

use super::KNOWN_ADDRESSES;

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
    Bool(i32),
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
    overlapped: Vec<Box<OVERLAPPED>>,
    bufs: Vec<Box<Buf<BUF_BYTES>>>,
    sizes: Vec<Box<u32>>,
}

struct Fuzz<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    sim: Sim,
    checker: InvariantChecker,
    /// QoS handles, events and ports the sim returned (closed ones stay: stale values).
    handles: Vec<HANDLE>,
    sockets: Vec<SOCKET>,
    flows: Vec<u32>,
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
/// value and the last error (`QOSQueryFlow(0x1, 1, 2, &16, &buf, 0x0, NULL) -> TRUE (last
/// error 0xdeadbeef)`), to see what an input does.
pub fn windows_sys_calls(data: &[u8]) -> Result<Vec<String>, SysFinding> {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let sim = Sim::builder().seed(seed).world(World::default()).build();
    let guard = sim.enter();
    let mut f = Fuzz {
        u: &mut u,
        sim: sim.clone(),
        checker: InvariantChecker::new(),
        handles: Vec::new(),
        sockets: Vec::new(),
        flows: Vec::new(),
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

    // ---- argument choosers ----

    fn byte(&mut self) -> u8 {
        self.u.arbitrary().unwrap_or(0)
    }

    fn u32_any(&mut self) -> u32 {
        self.u.arbitrary().unwrap_or(0)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
        if from.is_empty() {
            return None;
        }
        let i = self.byte() as usize % from.len();
        Some(from[i])
    }

    fn handle(&mut self) -> HANDLE {
        match self.byte() % 8 {
            0 => null_mut(),
            1 => INVALID_HANDLE_VALUE,
            2 => crate::windows_sys::from_raw(u64::from(self.u32_any())),
            _ => {
                let hs = self.handles.clone();
                self.pick(&hs).unwrap_or(null_mut())
            }
        }
    }

    fn socket_arg(&mut self) -> SOCKET {
        match self.byte() % 8 {
            0 => INVALID_SOCKET,
            1 => 0,
            2 => self.u32_any() as SOCKET,
            _ => {
                let ss = self.sockets.clone();
                self.pick(&ss).unwrap_or(INVALID_SOCKET)
            }
        }
    }

    fn flow(&mut self) -> u32 {
        match self.byte() % 8 {
            0 => 0,
            1 => u32::MAX,
            2 => self.u32_any(),
            _ => {
                let fs = self.flows.clone();
                self.pick(&fs).unwrap_or(0)
            }
        }
    }

    fn flags(&mut self) -> u32 {
        match self.byte() % 6 {
            0 | 1 => 0,
            2 => QOS_NON_ADAPTIVE_FLOW,
            3 => QOS_QUERYFLOW_FRESH,
            4 => 1 << (self.byte() % 32),
            _ => self.u32_any(),
        }
    }

    /// An operation / traffic type: valid ones, then the first invalid ones, then anything.
    fn enum_value(&mut self, valid: i32) -> i32 {
        match self.byte() % 8 {
            0..=4 => i32::from(self.byte()) % valid,
            5 => valid + i32::from(self.byte() % 3),
            6 => -1,
            _ => self.u32_any() as i32,
        }
    }

    /// A `*Size` value: exact sizes of the structures, one off, zero, huge.
    fn size_value(&mut self) -> u32 {
        const SIZES: [u32; 14] = [0, 1, 3, 4, 8, 15, 16, 17, 39, 40, 41, 64, 4096, u32::MAX];
        match self.byte() % 8 {
            7 => self.u32_any(),
            _ => self.pick(&SIZES).unwrap_or(0),
        }
    }

    /// A socket address in a 128-byte buffer: a known address, an arbitrary v4/v6 one, or an
    /// unknown family.
    fn sockaddr(&mut self) -> Box<SOCKADDR_STORAGE> {
        let mut st: Box<SOCKADDR_STORAGE> = Box::default();
        let bytes: &mut [u8; 128] = unsafe { &mut *(std::ptr::addr_of_mut!(*st).cast()) };
        let addr: std::net::SocketAddr = match self.byte() % 6 {
            0..=2 => {
                let i = self.byte() as usize % KNOWN_ADDRESSES.len();
                KNOWN_ADDRESSES[i].parse().unwrap_or(([127, 0, 0, 1], 1).into())
            }
            3 => {
                let ip: [u8; 4] = self.u.arbitrary().unwrap_or_default();
                (ip, self.u.arbitrary::<u16>().unwrap_or(0)).into()
            }
            4 => {
                let ip: [u8; 16] = self.u.arbitrary().unwrap_or_default();
                (ip, self.u.arbitrary::<u16>().unwrap_or(0)).into()
            }
            _ => {
                let junk: [u8; 30] = self.u.arbitrary().unwrap_or([0; 30]);
                bytes[..30].copy_from_slice(&junk);
                return st;
            }
        };
        match addr {
            std::net::SocketAddr::V4(a) => {
                bytes[0..2].copy_from_slice(&AF_INET.to_ne_bytes());
                bytes[2..4].copy_from_slice(&a.port().to_be_bytes());
                bytes[4..8].copy_from_slice(&a.ip().octets());
            }
            std::net::SocketAddr::V6(a) => {
                bytes[0..2].copy_from_slice(&AF_INET6.to_ne_bytes());
                bytes[2..4].copy_from_slice(&a.port().to_be_bytes());
                bytes[8..24].copy_from_slice(&a.ip().octets());
            }
        }
        st
    }

    /// A destination for the QOS functions: NULL or an address.
    fn dest(&mut self) -> (Option<Box<SOCKADDR_STORAGE>>, String) {
        if self.byte() % 6 == 0 {
            return (None, "NULL".into());
        }
        let a = self.sockaddr();
        let family = unsafe { std::ptr::addr_of!(a.ss_family).read() };
        (Some(a), format!("&addr(af {family})"))
    }

    fn namelen(&mut self) -> i32 {
        const LENS: [i32; 8] = [0, -1, 2, 15, 16, 27, 28, 128];
        self.pick(&LENS).unwrap_or(16)
    }

    /// An OVERLAPPED for a request: NULL, a fresh one (maybe with an event), or one used
    /// before (perhaps still pending).
    fn overlapped(&mut self) -> (*mut OVERLAPPED, String) {
        match self.byte() % 4 {
            0 => (null_mut(), "NULL".into()),
            1 if !self.keep.overlapped.is_empty() => {
                let i = self.byte() as usize % self.keep.overlapped.len();
                (
                    &mut *self.keep.overlapped[i] as *mut OVERLAPPED,
                    format!("&ov{i}"),
                )
            }
            _ => {
                let mut ov: Box<OVERLAPPED> = Box::default();
                if self.byte() % 2 == 0 {
                    ov.hEvent = self.handle();
                }
                let i = self.keep.overlapped.len();
                self.keep.overlapped.push(ov);
                (
                    &mut *self.keep.overlapped[i] as *mut OVERLAPPED,
                    format!("&ov{i}(new)"),
                )
            }
        }
    }

    /// An OVERLAPPED that is only compared or read: NULL, a known one, or a garbage pointer
    /// (only where the sim never dereferences it).
    fn overlapped_existing(&mut self, garbage_ok: bool) -> *mut OVERLAPPED {
        match self.byte() % 4 {
            0 => null_mut(),
            1 if garbage_ok => std::ptr::without_provenance_mut(self.u32_any() as usize),
            _ if !self.keep.overlapped.is_empty() => {
                let i = self.byte() as usize % self.keep.overlapped.len();
                &mut *self.keep.overlapped[i] as *mut OVERLAPPED
            }
            _ => null_mut(),
        }
    }

    /// A `*Size` pointer: NULL or a kept `u32`.
    fn size_ptr(&mut self) -> (*mut u32, String) {
        if self.byte() % 6 == 0 {
            return (null_mut(), "NULL".into());
        }
        let v = self.size_value();
        self.keep.sizes.push(Box::new(v));
        let p: *mut u32 = &mut **self.keep.sizes.last_mut().expect("just pushed");
        (p, format!("&{v}"))
    }

    /// A QOS buffer: NULL or a kept 64-byte buffer filled from the input.
    fn buffer(&mut self) -> (*mut c_void, &'static str) {
        if self.byte() % 6 == 0 {
            return (null_mut(), "NULL");
        }
        let mut b = Buf::<BUF_BYTES>::boxed();
        let fill: [u8; 16] = self.u.arbitrary().unwrap_or_default();
        b.0[..16].copy_from_slice(&fill);
        self.keep.bufs.push(b);
        (self.keep.bufs.last_mut().expect("just pushed").ptr(), "&buf")
    }

    fn remember_handle(&mut self, h: HANDLE) {
        if !h.is_null() && self.handles.len() < 64 {
            self.handles.push(h);
        }
    }

    // ---- the calls ----

    fn call(&mut self) -> (String, Ret) {
        match self.byte() % 26 {
            0 => self.create_handle(),
            1 => {
                let h = self.handle();
                (
                    format!("QOSCloseHandle({h:?})"),
                    Ret::Bool(unsafe { QOSCloseHandle(h) }),
                )
            }
            2 => self.add_socket(),
            3 => {
                let (h, s, f, fl) = (self.handle(), self.socket_arg(), self.flow(), self.flags());
                let r = unsafe { QOSRemoveSocketFromFlow(h, s, f, fl) };
                (
                    format!("QOSRemoveSocketFromFlow({h:?}, {s}, {f}, {fl:#x})"),
                    Ret::Bool(r),
                )
            }
            4 => self.set_flow(),
            5 => self.query_or_notify(false),
            6 => self.query_or_notify(true),
            7 => {
                let h = self.handle();
                let ov = self.overlapped_existing(true);
                (
                    format!("QOSCancel({h:?}, {ov:?})"),
                    Ret::Bool(unsafe { QOSCancel(h, ov) }),
                )
            }
            8 => {
                let h = self.handle();
                let (size, st) = self.size_ptr();
                let mut buf = Buf::<ENUM_BUF_BYTES>::boxed();
                let b = if self.byte() % 4 == 0 {
                    null_mut()
                } else {
                    buf.ptr()
                };
                let r = unsafe { QOSEnumerateFlows(h, size, b) };
                (format!("QOSEnumerateFlows({h:?}, {st}, {b:?})"), Ret::Bool(r))
            }
            9 | 10 => {
                let start = self.byte() % 2 == 0;
                let h = self.handle();
                let (d, ds) = self.dest();
                let fl = self.flags();
                let p = d
                    .as_deref()
                    .map_or(null(), |a| (a as *const SOCKADDR_STORAGE).cast());
                let r = unsafe {
                    if start {
                        QOSStartTrackingClient(h, p, fl)
                    } else {
                        QOSStopTrackingClient(h, p, fl)
                    }
                };
                let name = if start { "Start" } else { "Stop" };
                (
                    format!("QOS{name}TrackingClient({h:?}, {ds}, {fl:#x})"),
                    Ret::Bool(r),
                )
            }
            11 => {
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
                if s != INVALID_SOCKET && self.sockets.len() < 64 {
                    self.sockets.push(s);
                }
                (format!("socket({af}, {ty}, {proto})"), Ret::Socket(s))
            }
            12 | 13 => {
                let is_bind = self.byte() % 2 == 0;
                let s = self.socket_arg();
                let a = self.sockaddr();
                let p = if self.byte() % 6 == 0 {
                    null()
                } else {
                    (&*a as *const SOCKADDR_STORAGE).cast()
                };
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
            14 => {
                let s = self.socket_arg();
                (format!("closesocket({s})"), Ret::Int(unsafe { closesocket(s) }))
            }
            15 => {
                let s = self.socket_arg();
                let level = if self.byte() % 3 == 0 {
                    self.u32_any() as i32
                } else {
                    IPPROTO_IPV6
                };
                let opt = if self.byte() % 3 == 0 {
                    self.u32_any() as i32
                } else {
                    27
                }; // IPV6_V6ONLY
                let val: Box<[u8; 8]> = Box::new([self.byte() % 2, 0, 0, 0, 0, 0, 0, 0]);
                let len = self.pick(&[0, 1, 4, 8, -1]).unwrap_or(4);
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
            16 => {
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
            17 => {
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
            18 => {
                let h = self.handle();
                let ov = self.overlapped_existing(true);
                (
                    format!("CancelIoEx({h:?}, {ov:?})"),
                    Ret::Bool(unsafe { CancelIoEx(h, ov) }),
                )
            }
            19 => {
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
            20 => {
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
            21 => {
                let port = self.handle();
                let (n, key) = (self.u32_any(), self.byte() as usize);
                let ov = self.overlapped_existing(true);
                let r = unsafe { PostQueuedCompletionStatus(port, n, key, ov) };
                (
                    format!("PostQueuedCompletionStatus({port:?}, {n}, {key}, {ov:?})"),
                    Ret::Bool(r),
                )
            }
            22 => self.event_call(),
            23 => {
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
            24 => {
                let f: Fault = self.u.arbitrary().unwrap_or(Fault::DeviceReset);
                let text = format!("inject({f:?})");
                self.sim.inject(f);
                (text, Ret::Other("done".into()))
            }
            _ => {
                if self.byte() % 2 == 0 {
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
                } else {
                    ("WSACleanup()".into(), Ret::Int(unsafe { WSACleanup() }))
                }
            }
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

    fn create_handle(&mut self) -> (String, Ret) {
        let v = match self.byte() % 5 {
            0 => None,
            1 => Some(QOS_VERSION {
                MajorVersion: self.u.arbitrary().unwrap_or(0),
                MinorVersion: self.u.arbitrary().unwrap_or(0),
            }),
            _ => Some(QOS_VERSION {
                MajorVersion: 1,
                MinorVersion: 0,
            }),
        };
        let mut out = Box::new(null_mut::<c_void>());
        let op: *mut HANDLE = if self.byte() % 6 == 0 {
            null_mut()
        } else {
            &mut *out
        };
        let vp = v.as_ref().map_or(null(), |v| v as *const QOS_VERSION);
        let r = unsafe { QOSCreateHandle(vp, op) };
        if r != FALSE && !op.is_null() {
            self.remember_handle(*out);
        }
        (format!("QOSCreateHandle({vp:?}, {op:?})"), Ret::Bool(r))
    }

    fn add_socket(&mut self) -> (String, Ret) {
        let (h, s) = (self.handle(), self.socket_arg());
        let (d, ds) = self.dest();
        let tt = self.enum_value(QOSTrafficTypeControl + 1);
        let fl = self.flags();
        let mut flow = Box::new(match self.byte() % 4 {
            0 | 1 => 0,
            2 => self.flow(),
            _ => self.u32_any(),
        });
        let before = *flow;
        let fp: *mut u32 = if self.byte() % 6 == 0 {
            null_mut()
        } else {
            &mut *flow
        };
        let p = d
            .as_deref()
            .map_or(null(), |a| (a as *const SOCKADDR_STORAGE).cast());
        let r = unsafe { QOSAddSocketToFlow(h, s, p, tt, fl, fp) };
        if r != FALSE && !fp.is_null() && self.flows.len() < 64 && !self.flows.contains(&*flow) {
            self.flows.push(*flow);
        }
        (
            format!(
                "QOSAddSocketToFlow({h:?}, {s}, {ds}, {tt}, {fl:#x}, &{before}) [flow {}]",
                *flow
            ),
            Ret::Bool(r),
        )
    }

    fn set_flow(&mut self) -> (String, Ret) {
        let (h, f) = (self.handle(), self.flow());
        let op = self.enum_value(QOSSetOutgoingDSCPValue + 1);
        let size = self.size_value();
        let (buf, bs) = self.buffer();
        let fl = self.flags();
        let (ov, os) = self.overlapped();
        let r = unsafe { QOSSetFlow(h, f, op, size, buf, fl, ov) };
        (
            format!("QOSSetFlow({h:?}, {f}, {op}, {size}, {bs}, {fl:#x}, {os})"),
            Ret::Bool(r),
        )
    }

    fn query_or_notify(&mut self, notify: bool) -> (String, Ret) {
        let (h, f) = (self.handle(), self.flow());
        let op = if notify {
            self.enum_value(QOSNotifyAvailable + 1)
        } else {
            self.enum_value(QOSQueryOutgoingRate + 1)
        };
        let (size, ss) = self.size_ptr();
        let (buf, bs) = self.buffer();
        let fl = self.flags();
        let (ov, os) = self.overlapped();
        let r = unsafe {
            if notify {
                QOSNotifyFlow(h, f, op, size, buf, fl, ov)
            } else {
                QOSQueryFlow(h, f, op, size, buf, fl, ov)
            }
        };
        let name = if notify { "QOSNotifyFlow" } else { "QOSQueryFlow" };
        (
            format!("{name}({h:?}, {f}, {op}, {ss}, {bs}, {fl:#x}, {os})"),
            Ret::Bool(r),
        )
    }

    fn event_call(&mut self) -> (String, Ret) {
        match self.byte() % 5 {
            0 => {
                let (manual, initial) = (i32::from(self.byte() % 2), i32::from(self.byte() % 2));
                let e = unsafe { CreateEventW(null(), manual, initial, null()) };
                self.remember_handle(e);
                (
                    format!("CreateEventW(NULL, {manual}, {initial}, NULL)"),
                    Ret::Handle(e),
                )
            }
            1 => {
                let h = self.handle();
                (format!("SetEvent({h:?})"), Ret::Bool(unsafe { SetEvent(h) }))
            }
            2 => {
                let h = self.handle();
                (format!("ResetEvent({h:?})"), Ret::Bool(unsafe { ResetEvent(h) }))
            }
            3 => {
                let h = self.handle();
                let ms = self.wait_ms();
                let r = unsafe { WaitForSingleObject(h, ms) };
                (
                    format!("WaitForSingleObject({h:?}, {ms})"),
                    Ret::Other(format!("{r:#x}")),
                )
            }
            _ => {
                let h = self.handle();
                (
                    format!("CloseHandle({h:?})"),
                    Ret::Bool(unsafe { CloseHandle(h) }),
                )
            }
        }
    }
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

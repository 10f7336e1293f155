//! The Windows side: the 11 exports with the exact `qos2.h` ABI, the process-wide engine and
//! its timer thread, and [`WinOs`], the engine's [`Os`] on Wine's kernel32, ws2_32 and ntdll.
//!
//! # How an OVERLAPPED is completed
//!
//! A QoS handle must be a real kernel object: the app binds it to its own I/O completion port
//! with `CreateIoCompletionPort`, and waits with its own (Wine's) `GetOverlappedResult`,
//! `WaitForSingleObject` and `GetQueuedCompletionStatus`. So each QoS handle is a UDP socket
//! bound to 127.0.0.1, and every completion is a real I/O completion on it, issued with the
//! app's OVERLAPPED as the I/O status block and completion context, which makes Wine itself
//! write `Internal` (the NTSTATUS) and `InternalHigh` (the bytes), signal `hEvent`, and queue
//! the packet to the port the handle is bound to (skipped when `hEvent`'s low bit is set):
//!
//! - success with data (a query's 8, 16 or 40 bytes): the socket sends itself a datagram of
//!   that many bytes and receives it with `WSARecv` on the app's OVERLAPPED;
//! - any other status (success without data, 995, 54, 1164, …): Wine's own way of completing
//!   an asynchronous socket request with a given status, `IOCTL_AFD_WINE_COMPLETE_ASYNC`
//!   (what Wine's ws2_32 uses for `WSAIoctl` requests it answers itself). Win32 codes become
//!   the NTSTATUS values Windows stores, which map back through `RtlNtStatusToDosError`, the
//!   same as the in-process surfaces store (`qwave_sim::ffi::ntstatus`): 995 is
//!   `STATUS_CANCELLED`, 54 `STATUS_NETWORK_BUSY`, …, a code with no native status
//!   `0xC0070000 | code` (FACILITY_NTWIN32).
//!
//! A request whose OVERLAPPED has no `hEvent` is waited for on the handle itself
//! (`GetOverlappedResult` waits on the file object). For those, the DLL keeps a private
//! request pending on the socket from the moment the request is accepted (an address-list
//! change notification, with no event and no completion context, so it never reaches the
//! app's port), which leaves the handle unsignalled; it is cancelled right after the real
//! completion, which signals the handle once the OVERLAPPED holds its result.
//!
//! A pipe-based design (one overlapped named pipe per handle, `ReadFile` fed by a write to
//! the other end) was considered: it completes success and, through `CancelIoEx`, 995, but no
//! other status can reach an I/O completion port that way; the socket carries every status.
//! If the ioctl is refused (not Wine), the DLL falls back to writing the OVERLAPPED itself
//! and setting its event; no completion-port packet is queued then.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, Instant};

use qwave_sim::ffi::config::Config;
use qwave_sim::model::Protocol;
use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{GetLastError, SetLastError, HANDLE};
use windows_sys::Win32::NetworkManagement::QoS::{
    QOS_NOTIFY_FLOW, QOS_QUERY_FLOW, QOS_SET_FLOW, QOS_TRAFFIC_TYPE, QOS_VERSION,
};
use windows_sys::Win32::Networking::WinSock::{
    bind, closesocket, getpeername, getsockname, getsockopt, sendto, WSAGetLastError, WSARecv, WSASocketW,
    WSAStartup, AF_INET, INADDR_LOOPBACK, INVALID_SOCKET, IPPROTO_UDP, SOCKADDR, SOCKADDR_IN, SOCKET,
    SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_PROTOCOL_INFOW, WSABUF, WSADATA, WSAPROTOCOL_INFOW,
    WSA_FLAG_OVERLAPPED,
};
use windows_sys::Win32::System::LibraryLoader::{
    GetModuleHandleA, GetModuleHandleExW, GetProcAddress, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
    GET_MODULE_HANDLE_EX_FLAG_PIN,
};
use windows_sys::Win32::System::Memory::{IsBadReadPtr, IsBadWritePtr};
use windows_sys::Win32::System::Threading::{ResetEvent, SetEvent};
use windows_sys::Win32::System::IO::{CancelIoEx, OVERLAPPED};

use crate::engine::{Engine, Os, Ret, SocketView};

const TRUE: BOOL = 1;
const FALSE: BOOL = 0;
/// `ERROR_SERVICE_DEPENDENCY_FAIL`: what `QOSCreateHandle` gives when the configuration is bad.
const CONFIG_FAILURE: u32 = 1068;
/// `ERROR_INTERNAL_ERROR`: a panic inside the DLL (a bug), caught at the boundary.
const INTERNAL_ERROR: u32 = 1359;
const STATUS_PENDING: i32 = 0x103;

/// `CTL_CODE(FILE_DEVICE_NETWORK, n, METHOD_BUFFERED, FILE_ANY_ACCESS)`, Wine's AFD codes.
const fn afd_wine(n: u32) -> u32 {
    (0x12 << 16) | (n << 2)
}
const IOCTL_AFD_WINE_ADDRESS_LIST_CHANGE: u32 = afd_wine(208);
const IOCTL_AFD_WINE_COMPLETE_ASYNC: u32 = afd_wine(210);

#[repr(C)]
struct IoStatusBlock {
    status: isize,
    information: usize,
}

type NtDeviceIoControlFile = unsafe extern "system" fn(
    file: HANDLE,
    event: HANDLE,
    apc: *const c_void,
    apc_context: *const c_void,
    iosb: *mut IoStatusBlock,
    code: u32,
    input: *const c_void,
    input_len: u32,
    output: *mut c_void,
    output_len: u32,
) -> i32;

type NtCancelIoFileEx =
    unsafe extern "system" fn(file: HANDLE, request: *mut IoStatusBlock, iosb: *mut IoStatusBlock) -> i32;

/// The NTSTATUS Windows stores for a Win32 completion status.
fn ntstatus(code: u32) -> u32 {
    qwave_sim::ffi::ntstatus(code)
}

/// The engine's OS on Windows (Wine).
pub(crate) struct WinOs {
    ioctl: Option<NtDeviceIoControlFile>,
    cancel: Option<NtCancelIoFileEx>,
    /// Private requests cancelled but maybe not yet written by the kernel. Boxed: the kernel
    /// writes to each at its own address, which must not move.
    #[allow(clippy::vec_box)]
    retired: Vec<Box<IoStatusBlock>>,
    /// Sends the datagrams of success completions. Not a QoS handle's own socket: a send on
    /// that one would signal the handle and wake a `GetOverlappedResult` waiting on it early.
    sender: SOCKET,
    /// Each QoS handle's socket address, read once: a `getsockname` on a handle later would
    /// go through the server as a request on the handle, and its completion would signal the
    /// handle, waking a `GetOverlappedResult` that waits on it early.
    addrs: std::collections::HashMap<u64, SOCKADDR_IN>,
}

/// Datagram bytes for success completions (content irrelevant; at most 40 are used).
static mut SCRATCH: [u8; 64] = [0; 64];

impl WinOs {
    fn new() -> WinOs {
        // SAFETY: plain lookups; the types match ntdll's exports.
        unsafe {
            let nt = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
            let ioctl = GetProcAddress(nt, c"NtDeviceIoControlFile".as_ptr().cast());
            let cancel = GetProcAddress(nt, c"NtCancelIoFileEx".as_ptr().cast());
            WinOs {
                ioctl: ioctl.map(|f| std::mem::transmute::<_, NtDeviceIoControlFile>(f)),
                cancel: cancel.map(|f| std::mem::transmute::<_, NtCancelIoFileEx>(f)),
                retired: Vec::new(),
                sender: INVALID_SOCKET,
                addrs: std::collections::HashMap::new(),
            }
        }
    }

    /// Success with data: the app's OVERLAPPED receives, on the handle's socket, a datagram of
    /// `bytes` bytes sent by another socket.
    ///
    /// The receive is issued first, on an empty socket, so it pends and Wine completes it the
    /// way it completes any pended request: the issuing thread writes `Internal` and
    /// `InternalHigh`, and only then does the server signal the event or the handle and queue
    /// the packet. (A receive that finds its data already there is completed the other way
    /// round, and a `GetOverlappedResult` waiting on the handle could wake before `Internal`
    /// is written.) The datagram comes from a separate socket because a send on the handle's
    /// own socket would signal the handle too.
    unsafe fn complete_with_data(&mut self, s: SOCKET, ov: *mut OVERLAPPED, bytes: u32) -> bool {
        unsafe {
            let Some(me) = self.addrs.get(&(s as u64)).copied() else {
                return false;
            };
            let len = std::mem::size_of::<SOCKADDR_IN>() as i32;
            if self.sender == INVALID_SOCKET {
                self.sender = match self.open_handle() {
                    Ok(v) => v as SOCKET,
                    Err(_) => return false,
                };
            }
            let n = bytes.min(64);
            let buf = WSABUF {
                len: n,
                buf: (&raw mut SCRATCH).cast::<u8>(),
            };
            let mut flags = 0u32;
            let r = WSARecv(s, &buf, 1, std::ptr::null_mut(), &mut flags, ov, None);
            if r != 0 && WSAGetLastError() != 997 {
                return false;
            }
            let data = [0u8; 64];
            if sendto(
                self.sender,
                data.as_ptr(),
                n as i32,
                0,
                (&raw const me).cast(),
                len,
            ) != n as i32
            {
                CancelIoEx(s as HANDLE, ov);
            }
            // Wait (sleeping, so that this thread runs Wine's completion of its own request)
            // until the OVERLAPPED holds its result, so that nothing that follows (the
            // private request's cancellation, the next completion) overtakes it.
            let deadline = Instant::now() + Duration::from_secs(5);
            while std::ptr::read_volatile(&raw const (*ov).Internal) == STATUS_PENDING as usize {
                if Instant::now() > deadline {
                    CancelIoEx(s as HANDLE, ov);
                    break;
                }
                std::thread::sleep(Duration::from_micros(100));
            }
            true
        }
    }

    /// Any status, no data: Wine completes the request with it.
    unsafe fn complete_with_status(&mut self, s: SOCKET, ov: *mut OVERLAPPED, status: u32) -> bool {
        let Some(ioctl) = self.ioctl else {
            return false;
        };
        unsafe {
            let event = (*ov).hEvent as usize;
            let context: *const c_void = if event & 1 == 1 {
                std::ptr::null()
            } else {
                ov.cast()
            };
            let st = status as i32;
            let r = ioctl(
                s as HANDLE,
                (event & !1) as HANDLE,
                std::ptr::null(),
                context,
                ov.cast(),
                IOCTL_AFD_WINE_COMPLETE_ASYNC,
                (&raw const st).cast(),
                4,
                std::ptr::null_mut(),
                0,
            );
            r == st
        }
    }

    fn reap(&mut self) {
        self.retired.retain(|b| {
            // SAFETY: the kernel writes the status once; a volatile read sees it.
            let status = unsafe { std::ptr::read_volatile(&b.status) };
            status == STATUS_PENDING as isize
        });
    }
}

impl Os for WinOs {
    fn open_handle(&mut self) -> Result<u64, u32> {
        // SAFETY: plain WinSock calls with valid arguments.
        unsafe {
            let s = WSASocketW(
                AF_INET as i32,
                SOCK_DGRAM,
                IPPROTO_UDP,
                std::ptr::null(),
                0,
                WSA_FLAG_OVERLAPPED,
            );
            if s == INVALID_SOCKET {
                return Err(1450); // ERROR_NO_SYSTEM_RESOURCES (CRE-9)
            }
            let mut a: SOCKADDR_IN = std::mem::zeroed();
            a.sin_family = AF_INET;
            a.sin_addr.S_un.S_addr = INADDR_LOOPBACK.to_be();
            let mut len = std::mem::size_of::<SOCKADDR_IN>() as i32;
            if bind(s, (&raw const a).cast(), len) != 0 || getsockname(s, (&raw mut a).cast(), &mut len) != 0
            {
                closesocket(s);
                return Err(1450);
            }
            self.addrs.insert(s as u64, a);
            Ok(s as u64)
        }
    }

    fn close_handle(&mut self, app: u64) {
        // SAFETY: a socket this DLL opened.
        unsafe { closesocket(app as SOCKET) };
        self.addrs.remove(&app);
        self.reap();
    }

    fn socket(&mut self, s: u64) -> Option<SocketView> {
        // SAFETY: out-pointers sized as passed; a value that is no socket makes the calls fail.
        unsafe {
            let mut info: WSAPROTOCOL_INFOW = std::mem::zeroed();
            let mut len = std::mem::size_of::<WSAPROTOCOL_INFOW>() as i32;
            if getsockopt(
                s as SOCKET,
                SOL_SOCKET,
                SO_PROTOCOL_INFOW,
                (&raw mut info).cast(),
                &mut len,
            ) != 0
            {
                return None;
            }
            let protocol = match info.iSocketType {
                SOCK_DGRAM => Protocol::Udp,
                SOCK_STREAM => Protocol::Tcp,
                _ => return None,
            };
            let unspecified: std::net::IpAddr = match info.iAddressFamily {
                2 => std::net::Ipv4Addr::UNSPECIFIED.into(),
                23 => std::net::Ipv6Addr::UNSPECIFIED.into(),
                _ => return None,
            };
            let name = |f: unsafe extern "system" fn(SOCKET, *mut SOCKADDR, *mut i32) -> i32| {
                let mut b = [0u8; 128];
                let mut n = b.len() as i32;
                if f(s as SOCKET, b.as_mut_ptr().cast(), &mut n) != 0 {
                    return None;
                }
                qwave_sim::ffi::sockaddr(b.as_ptr()).and_then(|a| a.socket_addr())
            };
            Some(SocketView {
                protocol,
                local: name(getsockname).unwrap_or((unspecified, 0).into()),
                peer: name(getpeername),
            })
        }
    }

    fn readable(&self, p: *const u8, len: usize) -> bool {
        // SAFETY: IsBadReadPtr probes under an exception handler.
        unsafe { IsBadReadPtr(p.cast(), len) == 0 }
    }

    fn writable(&self, p: *mut u8, len: usize) -> bool {
        // SAFETY: as above.
        unsafe { IsBadWritePtr(p.cast(), len) == 0 }
    }

    unsafe fn begin(&mut self, app: u64, ov: usize) -> usize {
        let o = ov as *mut OVERLAPPED;
        unsafe {
            (*o).Internal = STATUS_PENDING as usize;
            (*o).InternalHigh = 0;
            let event = (*o).hEvent as usize & !1;
            if event != 0 {
                ResetEvent(event as HANDLE); // as the I/O manager does when a request starts
                return 0;
            }
            // No event: keep the handle unsignalled until the completion (see the module docs).
            let Some(ioctl) = self.ioctl else {
                return 0;
            };
            let iosb = Box::into_raw(Box::new(IoStatusBlock {
                status: STATUS_PENDING as isize,
                information: 0,
            }));
            let force_async: i32 = 1;
            let r = ioctl(
                app as HANDLE,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                iosb,
                IOCTL_AFD_WINE_ADDRESS_LIST_CHANGE,
                (&raw const force_async).cast(),
                4,
                std::ptr::null_mut(),
                0,
            );
            if r == STATUS_PENDING {
                iosb as usize
            } else {
                drop(Box::from_raw(iosb));
                0
            }
        }
    }

    unsafe fn complete(&mut self, app: Option<u64>, ov: usize, token: usize, status: u32, bytes: u32) {
        let o = ov as *mut OVERLAPPED;
        let nt = ntstatus(status);
        unsafe {
            let done = match app {
                Some(s) if status == 0 && bytes > 0 => self.complete_with_data(s as SOCKET, o, bytes),
                Some(s) => self.complete_with_status(s as SOCKET, o, nt),
                None => false,
            };
            if !done {
                (*o).InternalHigh = bytes as usize;
                (*o).Internal = nt as usize;
                let event = (*o).hEvent as usize & !1;
                if event != 0 {
                    SetEvent(event as HANDLE);
                }
            }
            if token != 0 {
                let iosb = token as *mut IoStatusBlock;
                if let (Some(cancel), Some(s)) = (self.cancel, app) {
                    let mut io = IoStatusBlock {
                        status: 0,
                        information: 0,
                    };
                    cancel(s as HANDLE, iosb, &mut io);
                }
                self.retired.push(Box::from_raw(iosb));
            }
        }
        self.reap();
    }
}

// ----- the process-wide engine -----

struct Global {
    engine: Result<Mutex<Engine<WinOs>>, String>,
    wake: Condvar,
}

static GLOBAL: OnceLock<Global> = OnceLock::new();
static TIMER: Once = Once::new();

fn open() -> Result<Engine<WinOs>, String> {
    let config = Config::from_vars(|k| std::env::var(k).ok())?;
    let trace: Option<Box<dyn std::io::Write + Send>> = match &config.trace {
        Some(p) => Some(Box::new(std::fs::File::create(p).map_err(|e| {
            format!(
                "{}=`{}`: cannot create the trace file: {e}",
                qwave_sim::ffi::config::TRACE,
                p.display()
            )
        })?)),
        None => None,
    };
    // SAFETY: WSAStartup with a valid out-pointer; the DLL keeps its reference for good.
    unsafe {
        let mut data: WSADATA = std::mem::zeroed();
        let r = WSAStartup(0x0202, &mut data);
        if r != 0 {
            return Err(format!("WSAStartup failed with {r}"));
        }
    }
    Ok(Engine::new(&config, WinOs::new(), trace))
}

fn global() -> &'static Global {
    GLOBAL.get_or_init(|| {
        let engine = open().map(Mutex::new);
        if let Err(e) = &engine {
            eprintln!(
                "qwave.dll (qwave-sim): the configuration is not usable, so QOSCreateHandle fails \
                 with ERROR_SERVICE_DEPENDENCY_FAIL (1068):\n{e}"
            );
        }
        Global {
            engine,
            wake: Condvar::new(),
        }
    })
}

fn lock(m: &Mutex<Engine<WinOs>>) -> MutexGuard<'_, Engine<WinOs>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Delivers completions that come due while the app makes no call.
fn timer() {
    let g = global();
    let Ok(m) = &g.engine else {
        return;
    };
    let mut e = lock(m);
    loop {
        let next = catch_unwind(AssertUnwindSafe(|| e.tick(Instant::now()))).unwrap_or(None);
        let wait = next
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(250))
            .min(Duration::from_millis(250));
        e = match g.wake.wait_timeout(e, wait) {
            Ok((e, _)) => e,
            Err(p) => p.into_inner().0,
        };
    }
}

/// Runs one export: the engine, the last error, and no panic across the boundary.
fn run(
    f: impl FnOnce(&mut Engine<WinOs>) -> (Ret, Option<Instant>),
    unconfigured: impl FnOnce() -> u32,
) -> BOOL {
    // SAFETY: plain calls.
    let saved = unsafe { GetLastError() };
    let r = catch_unwind(AssertUnwindSafe(|| {
        let g = global();
        match &g.engine {
            Ok(m) => {
                TIMER.call_once(|| {
                    // The timer thread runs this DLL's code for good: pin the DLL, so that an
                    // app's FreeLibrary cannot unload the code under it.
                    let mut module = std::ptr::null_mut();
                    // SAFETY: an address inside this DLL and a valid out-pointer.
                    unsafe {
                        GetModuleHandleExW(
                            GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                            timer as *const () as *const u16,
                            &mut module,
                        )
                    };
                    std::thread::spawn(timer);
                });
                let (r, until) = f(&mut lock(m));
                g.wake.notify_all();
                if let Some(t) = until {
                    let now = Instant::now();
                    if t > now {
                        std::thread::sleep((t - now).min(Duration::from_secs(86_400)));
                    }
                }
                r
            }
            Err(_) => Err(unconfigured()),
        }
    }));
    let code = match r {
        Ok(Ok(())) => {
            // SAFETY: plain call. GEN-2: a success leaves the last error as it was.
            unsafe { SetLastError(saved) };
            return TRUE;
        }
        Ok(Err(code)) => code,
        Err(_) => INTERNAL_ERROR,
    };
    // SAFETY: plain call.
    unsafe { SetLastError(code) };
    FALSE
}

fn plain(f: impl FnOnce(&mut Engine<WinOs>) -> Ret) -> BOOL {
    run(|e| (f(e), None), || 6)
}

// ----- the 11 exports (qos2.h) -----

/// `BOOL QOSCreateHandle(PQOS_VERSION Version, PHANDLE QOSHandle)`.
///
/// # Safety
/// As on Windows: pointers are NULL or valid (inaccessible ones are answered as NULL).
#[no_mangle]
pub unsafe extern "system" fn QOSCreateHandle(version: *const QOS_VERSION, qoshandle: *mut HANDLE) -> BOOL {
    run(
        |e| (unsafe { e.create_handle(version.cast(), qoshandle.cast()) }, None),
        || {
            // CRE-11: the argument checks come before the service.
            // SAFETY: NULL or the caller's QOS_VERSION; inaccessible counts as NULL.
            let ok = !version.is_null()
                && unsafe { IsBadReadPtr(version.cast(), 4) } == 0
                && unsafe { ((*version).MajorVersion, (*version).MinorVersion) } == (1, 0)
                && !qoshandle.is_null();
            if ok {
                CONFIG_FAILURE
            } else {
                87
            }
        },
    )
}

/// `BOOL QOSCloseHandle(HANDLE QOSHandle)`.
///
/// # Safety
/// Always safe.
#[no_mangle]
pub unsafe extern "system" fn QOSCloseHandle(qoshandle: HANDLE) -> BOOL {
    plain(|e| e.close_handle(qoshandle as u64))
}

/// `BOOL QOSAddSocketToFlow(HANDLE, SOCKET, PSOCKADDR DestAddr, QOS_TRAFFIC_TYPE, DWORD Flags,
/// PQOS_FLOWID FlowId)`.
///
/// # Safety
/// As [`QOSCreateHandle`].
#[no_mangle]
pub unsafe extern "system" fn QOSAddSocketToFlow(
    qoshandle: HANDLE,
    socket: SOCKET,
    destaddr: *const SOCKADDR,
    traffictype: QOS_TRAFFIC_TYPE,
    flags: u32,
    flowid: *mut u32,
) -> BOOL {
    plain(|e| unsafe {
        e.add_socket_to_flow(
            qoshandle as u64,
            socket as u64,
            destaddr.cast(),
            traffictype,
            flags,
            flowid,
        )
    })
}

/// `BOOL QOSRemoveSocketFromFlow(HANDLE, SOCKET, QOS_FLOWID, DWORD Flags)`.
///
/// # Safety
/// Always safe.
#[no_mangle]
pub unsafe extern "system" fn QOSRemoveSocketFromFlow(
    qoshandle: HANDLE,
    socket: SOCKET,
    flowid: u32,
    flags: u32,
) -> BOOL {
    plain(|e| e.remove_socket_from_flow(qoshandle as u64, socket as u64, flowid, flags))
}

/// `BOOL QOSSetFlow(HANDLE, QOS_FLOWID, QOS_SET_FLOW, ULONG Size, PVOID Buffer, DWORD Flags,
/// LPOVERLAPPED)`.
///
/// # Safety
/// As [`QOSCreateHandle`]; with an OVERLAPPED, everything stays valid until completion.
#[no_mangle]
pub unsafe extern "system" fn QOSSetFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_SET_FLOW,
    size: u32,
    buffer: *const c_void,
    flags: u32,
    overlapped: *mut OVERLAPPED,
) -> BOOL {
    plain(|e| unsafe {
        e.set_flow(
            qoshandle as u64,
            flowid,
            operation,
            size,
            buffer.cast(),
            flags,
            overlapped.cast(),
        )
    })
}

/// `BOOL QOSQueryFlow(HANDLE, QOS_FLOWID, QOS_QUERY_FLOW, PULONG Size, PVOID Buffer, DWORD
/// Flags, LPOVERLAPPED)`.
///
/// # Safety
/// As [`QOSSetFlow`].
#[no_mangle]
pub unsafe extern "system" fn QOSQueryFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_QUERY_FLOW,
    size: *mut u32,
    buffer: *mut c_void,
    flags: u32,
    overlapped: *mut OVERLAPPED,
) -> BOOL {
    plain(|e| unsafe {
        e.query_flow(
            qoshandle as u64,
            flowid,
            operation,
            size,
            buffer.cast(),
            flags,
            overlapped.cast(),
        )
    })
}

/// `BOOL QOSNotifyFlow(HANDLE, QOS_FLOWID, QOS_NOTIFY_FLOW, PULONG Size, PVOID Buffer, DWORD
/// Flags, LPOVERLAPPED)`. Without an OVERLAPPED the call blocks (NOT-12): on the wall clock
/// for as long as the model's answer takes, scaled by the speed factor.
///
/// # Safety
/// As [`QOSSetFlow`].
#[no_mangle]
pub unsafe extern "system" fn QOSNotifyFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_NOTIFY_FLOW,
    size: *mut u32,
    buffer: *mut c_void,
    flags: u32,
    overlapped: *mut OVERLAPPED,
) -> BOOL {
    run(
        |e| unsafe {
            e.notify_flow(
                qoshandle as u64,
                flowid,
                operation,
                size,
                buffer.cast(),
                flags,
                overlapped.cast(),
            )
        },
        || 6,
    )
}

/// `BOOL QOSCancel(HANDLE, LPOVERLAPPED)`.
///
/// # Safety
/// Always safe (the pointer is only compared).
#[no_mangle]
pub unsafe extern "system" fn QOSCancel(qoshandle: HANDLE, overlapped: *const OVERLAPPED) -> BOOL {
    plain(|e| e.cancel(qoshandle as u64, overlapped.cast()))
}

/// `BOOL QOSEnumerateFlows(HANDLE, PULONG Size, PVOID Buffer)`.
///
/// # Safety
/// As [`QOSCreateHandle`].
#[no_mangle]
pub unsafe extern "system" fn QOSEnumerateFlows(
    qoshandle: HANDLE,
    size: *mut u32,
    buffer: *mut c_void,
) -> BOOL {
    plain(|e| unsafe { e.enumerate_flows(qoshandle as u64, size, buffer.cast()) })
}

/// `BOOL QOSStartTrackingClient(HANDLE, PSOCKADDR DestAddr, DWORD Flags)`.
///
/// # Safety
/// As [`QOSCreateHandle`].
#[no_mangle]
pub unsafe extern "system" fn QOSStartTrackingClient(
    qoshandle: HANDLE,
    destaddr: *const SOCKADDR,
    flags: u32,
) -> BOOL {
    plain(|e| unsafe { e.tracking(qoshandle as u64, destaddr.cast(), flags, true) })
}

/// `BOOL QOSStopTrackingClient(HANDLE, PSOCKADDR DestAddr, DWORD Flags)`.
///
/// # Safety
/// As [`QOSCreateHandle`].
#[no_mangle]
pub unsafe extern "system" fn QOSStopTrackingClient(
    qoshandle: HANDLE,
    destaddr: *const SOCKADDR,
    flags: u32,
) -> BOOL {
    plain(|e| unsafe { e.tracking(qoshandle as u64, destaddr.cast(), flags, false) })
}

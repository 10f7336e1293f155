// A small qWAVE client, written exactly as against the real `windows-sys` 0.61.2 crate.
//
// It is compiled twice from this one source: on Linux against qwave-sim (the including module
// brings `qwave_sim::windows_sys` into scope as `windows_sys`), and by `tests/parity/sys.rs`
// with `cargo check` against windows-sys = "0.61.2" (which compiles, but cannot link, on
// Linux). (Plain comments: the file is `include!`d, where inner doc comments are not allowed.)

use core::ffi::c_void;
use core::mem::size_of;
use core::ptr::{null, null_mut};
use std::net::SocketAddrV4;

use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_INSUFFICIENT_BUFFER, ERROR_IO_PENDING, ERROR_NETWORK_BUSY,
    ERROR_NOT_SUPPORTED, ERROR_OPERATION_ABORTED, FALSE, HANDLE, TRUE, WAIT_OBJECT_0, WIN32_ERROR,
};
use windows_sys::Win32::NetworkManagement::QoS::{
    QOSAddSocketToFlow, QOSCancel, QOSCloseHandle, QOSCreateHandle, QOSEnumerateFlows, QOSFlowRateNotApplicable,
    QOSNotifyCongested, QOSNotifyFlow, QOSQueryFlow, QOSQueryOutgoingRate, QOSQueryPacketPriority,
    QOSRemoveSocketFromFlow, QOSSetFlow, QOSSetOutgoingRate, QOSShapeAndMark, QOSTrafficTypeAudioVideo,
    QOSTrafficTypeVoice, QOS_FLOWRATE_OUTGOING, QOS_NON_ADAPTIVE_FLOW, QOS_PACKET_PRIORITY, QOS_VERSION,
};
use windows_sys::Win32::Networking::WinSock::{
    closesocket, connect, socket, WSACleanup, WSAGetLastError, WSAStartup, AF_INET, INVALID_SOCKET, IPPROTO_UDP,
    SOCKADDR, SOCKADDR_IN, SOCKET, SOCKET_ERROR, SOCK_DGRAM, WSADATA,
};
use windows_sys::Win32::System::IO::{CreateIoCompletionPort, GetOverlappedResult, GetQueuedCompletionStatus, OVERLAPPED};
use windows_sys::Win32::System::Threading::{CreateEventW, WaitForSingleObject, INFINITE};

/// What became of the congestion notification the app asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// A non-adaptive flow cannot be watched (NOT-9).
    NotSupported,
    /// Accepted (IO_PENDING), then cancelled: completed with ERROR_OPERATION_ABORTED.
    Cancelled,
    /// It fired at once.
    Fired,
}

/// What the app saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub flow_ids: [u32; 2],
    pub dscp: u32,
    pub rate_admitted: bool,
    pub rate_bps: u64,
    pub rate_bytes: u32,
    pub port_key: usize,
    pub enum_needed: u32,
    pub enumerated: Vec<u32>,
    pub notify: Notify,
}

fn last() -> WIN32_ERROR {
    unsafe { GetLastError() }
}

fn wsa() -> WIN32_ERROR {
    unsafe { WSAGetLastError() as WIN32_ERROR }
}

fn sockaddr_in(a: SocketAddrV4) -> SOCKADDR_IN {
    let mut sa: SOCKADDR_IN = unsafe { core::mem::zeroed() };
    sa.sin_family = AF_INET;
    sa.sin_port = a.port().to_be();
    sa.sin_addr.S_un.S_addr = u32::from(*a.ip()).to_be();
    sa
}

fn udp() -> Result<SOCKET, WIN32_ERROR> {
    let s = unsafe { socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP) };
    if s == INVALID_SOCKET {
        return Err(wsa());
    }
    Ok(s)
}

/// Marks two streams to `dest`: a Voice flow on a connected socket and an AudioVideo flow on
/// an unconnected one; reads the DSCP, declares a rate, queries it overlapped through a
/// completion port, enumerates the flows with a too-small buffer first, asks to hear about
/// congestion (then changes its mind), and tears everything down.
pub fn run(dest: SocketAddrV4, adaptive: bool) -> Result<Report, WIN32_ERROR> {
    unsafe {
        let mut data: WSADATA = core::mem::zeroed();
        let r = WSAStartup(0x0202, &mut data);
        if r != 0 {
            return Err(r as WIN32_ERROR);
        }
        let mut qos: HANDLE = null_mut();
        let version = QOS_VERSION { MajorVersion: 1, MinorVersion: 0 };
        if QOSCreateHandle(&version, &mut qos) == FALSE {
            return Err(last());
        }

        let sa = sockaddr_in(dest);
        let sa_ptr = &sa as *const SOCKADDR_IN as *const SOCKADDR;
        let s1 = udp()?;
        if connect(s1, sa_ptr, size_of::<SOCKADDR_IN>() as i32) == SOCKET_ERROR {
            return Err(wsa());
        }
        let s2 = udp()?;

        let flags = if adaptive { 0 } else { QOS_NON_ADAPTIVE_FLOW };
        let mut flow_ids = [0u32; 2];
        if QOSAddSocketToFlow(qos, s1, null(), QOSTrafficTypeVoice, flags, &mut flow_ids[0]) == FALSE {
            return Err(last());
        }
        if QOSAddSocketToFlow(qos, s2, sa_ptr, QOSTrafficTypeAudioVideo, flags, &mut flow_ids[1]) == FALSE {
            return Err(last());
        }
        let flow = flow_ids[0];

        let mut priority = QOS_PACKET_PRIORITY::default();
        let mut size = size_of::<QOS_PACKET_PRIORITY>() as u32;
        let p = &mut priority as *mut QOS_PACKET_PRIORITY as *mut c_void;
        if QOSQueryFlow(qos, flow, QOSQueryPacketPriority, &mut size, p, 0, null_mut()) == FALSE {
            return Err(last());
        }

        let rate = QOS_FLOWRATE_OUTGOING {
            Bandwidth: 64_000,
            ShapingBehavior: QOSShapeAndMark,
            Reason: QOSFlowRateNotApplicable,
        };
        let size = size_of::<QOS_FLOWRATE_OUTGOING>() as u32;
        let rp = &rate as *const QOS_FLOWRATE_OUTGOING as *const c_void;
        // An adaptive flow's rate goes through admission control; before qWAVE has measured the
        // path it is refused with ERROR_NETWORK_BUSY, and the app carries on unshaped.
        let rate_admitted = match QOSSetFlow(qos, flow, QOSSetOutgoingRate, size, rp, 0, null_mut()) {
            FALSE if last() == ERROR_NETWORK_BUSY => false,
            FALSE => return Err(last()),
            _ => true,
        };

        // The outgoing rate, read overlapped; the completion also lands on the handle's port.
        let port = CreateIoCompletionPort(qos, null_mut(), 7, 0);
        if port.is_null() {
            return Err(last());
        }
        let mut ov: OVERLAPPED = core::mem::zeroed();
        let mut rate_bps = 0u64;
        let mut size = size_of::<u64>() as u32;
        let p = &mut rate_bps as *mut u64 as *mut c_void;
        if QOSQueryFlow(qos, flow, QOSQueryOutgoingRate, &mut size, p, 0, &mut ov) == FALSE
            && last() != ERROR_IO_PENDING
        {
            return Err(last());
        }
        let mut rate_bytes = 0u32;
        if GetOverlappedResult(qos, &ov, &mut rate_bytes, TRUE) == FALSE {
            return Err(last());
        }
        let (mut n, mut port_key, mut pov) = (0u32, 0usize, null_mut::<OVERLAPPED>());
        if GetQueuedCompletionStatus(port, &mut n, &mut port_key, &mut pov, 0) == FALSE || !core::ptr::eq(pov, &ov) {
            return Err(last());
        }

        // Room for one id: the call says how much it needs.
        let mut ids = [0u32; 8];
        let mut enum_needed = 4u32;
        let buf = ids.as_mut_ptr() as *mut c_void;
        if QOSEnumerateFlows(qos, &mut enum_needed, buf) != FALSE || last() != ERROR_INSUFFICIENT_BUFFER {
            return Err(last());
        }
        let mut size = enum_needed;
        if QOSEnumerateFlows(qos, &mut size, buf) == FALSE {
            return Err(last());
        }
        let enumerated = ids[..size as usize / 4].to_vec();

        let event = CreateEventW(null(), TRUE, FALSE, null());
        if event.is_null() {
            return Err(last());
        }
        let mut ov: OVERLAPPED = core::mem::zeroed();
        ov.hEvent = event;
        let notify = if QOSNotifyFlow(qos, flow, QOSNotifyCongested, null_mut(), null_mut(), 0, &mut ov) != FALSE {
            Notify::Fired
        } else {
            match last() {
                ERROR_NOT_SUPPORTED => Notify::NotSupported,
                ERROR_IO_PENDING => {
                    if QOSCancel(qos, &ov) == FALSE {
                        return Err(last());
                    }
                    if WaitForSingleObject(ov.hEvent, INFINITE) != WAIT_OBJECT_0 {
                        return Err(last());
                    }
                    let mut bytes = 0u32;
                    match GetOverlappedResult(qos, &ov, &mut bytes, FALSE) {
                        FALSE if last() == ERROR_OPERATION_ABORTED => Notify::Cancelled,
                        FALSE => return Err(last()),
                        _ => Notify::Fired,
                    }
                }
                other => return Err(other),
            }
        };
        if CloseHandle(event) == FALSE || CloseHandle(port) == FALSE {
            return Err(last());
        }

        // One socket out of its flow, then the other flow as a whole (socket 0).
        if QOSRemoveSocketFromFlow(qos, s1, flow, 0) == FALSE || QOSRemoveSocketFromFlow(qos, 0, flow_ids[1], 0) == FALSE {
            return Err(last());
        }
        if QOSCloseHandle(qos) == FALSE {
            return Err(last());
        }
        if closesocket(s1) == SOCKET_ERROR || closesocket(s2) == SOCKET_ERROR {
            return Err(wsa());
        }
        WSACleanup();
        Ok(Report {
            flow_ids,
            dscp: priority.ConformantDSCPValue,
            rate_admitted,
            rate_bps,
            rate_bytes,
            port_key,
            enum_needed,
            enumerated,
            notify,
        })
    }
}

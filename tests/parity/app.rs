// A small qWAVE client, written exactly as against the real `windows` 0.62.2 crate.
//
// It is compiled twice from this one source: on Linux against qwave-sim (the including module
// brings `qwave_sim::windows` into scope as `windows`), and, when the target is installed,
// with `cargo check --target x86_64-pc-windows-gnu` against windows = "0.62.2".
// (Plain comments: the file is `include!`d, where inner doc comments are not allowed.)

use std::ffi::c_void;
use std::mem::size_of;
use std::net::SocketAddrV4;

use windows::core::{Error, Result};
use windows::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_IO_PENDING, ERROR_NETWORK_BUSY, ERROR_NOT_SUPPORTED, ERROR_OPERATION_ABORTED, HANDLE,
    WAIT_OBJECT_0, WIN32_ERROR,
};
use windows::Win32::NetworkManagement::QoS::{
    QOSAddSocketToFlow, QOSCancel, QOSCloseHandle, QOSCreateHandle, QOSNotifyFlow, QOSQueryFlow,
    QOSRemoveSocketFromFlow, QOSSetFlow, QOSFlowRateNotApplicable, QOSNotifyCongested, QOSQueryOutgoingRate,
    QOSQueryPacketPriority, QOSSetOutgoingRate, QOSShapeAndMark, QOSTrafficTypeVoice, QOS_FLOWRATE_OUTGOING,
    QOS_NON_ADAPTIVE_FLOW, QOS_PACKET_PRIORITY, QOS_VERSION,
};
use windows::Win32::Networking::WinSock::{
    closesocket, connect, socket, WSACleanup, WSAGetLastError, WSAStartup, AF_INET, IPPROTO_UDP, SOCKADDR,
    SOCKADDR_IN, SOCKET, SOCKET_ERROR, SOCK_DGRAM, WSADATA,
};
use windows::Win32::System::Threading::{CreateEventW, WaitForSingleObject, INFINITE};
use windows::Win32::System::IO::{GetOverlappedResult, OVERLAPPED};

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
#[derive(Clone, Copy, Debug)]
pub struct Report {
    pub flow_id: u32,
    pub priority: QOS_PACKET_PRIORITY,
    pub rate_admitted: bool,
    pub rate_bps: u64,
    pub notify: Notify,
}

fn wsa_error() -> Error {
    WIN32_ERROR(unsafe { WSAGetLastError() }.0 as u32).into()
}

/// Marks a voice stream to `dest`: adds a Voice flow, reads its DSCP/802.1p, declares its
/// rate, asks to hear about congestion (then changes its mind), and tears everything down.
pub fn run(dest: SocketAddrV4, adaptive: bool) -> Result<Report> {
    unsafe {
        let mut wsa = WSADATA::default();
        if WSAStartup(0x0202, &mut wsa) != 0 {
            return Err(wsa_error());
        }
        let mut qos = HANDLE::default();
        QOSCreateHandle(&QOS_VERSION { MajorVersion: 1, MinorVersion: 0 }, &mut qos).ok()?;

        let s: SOCKET = socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0)?;
        let sa = SOCKADDR_IN::from(dest);
        if connect(s, &sa as *const SOCKADDR_IN as *const SOCKADDR, size_of::<SOCKADDR_IN>() as i32) == SOCKET_ERROR {
            return Err(wsa_error());
        }

        let flags = if adaptive { None } else { Some(QOS_NON_ADAPTIVE_FLOW) };
        let mut flow_id = 0u32;
        QOSAddSocketToFlow(qos, s, None, QOSTrafficTypeVoice, flags, &mut flow_id).ok()?;

        let mut priority = QOS_PACKET_PRIORITY::default();
        let mut size = size_of::<QOS_PACKET_PRIORITY>() as u32;
        QOSQueryFlow(
            qos,
            flow_id,
            QOSQueryPacketPriority,
            &mut size,
            &mut priority as *mut QOS_PACKET_PRIORITY as *mut c_void,
            None,
            None,
        )
        .ok()?;

        let rate = QOS_FLOWRATE_OUTGOING {
            Bandwidth: 64_000,
            ShapingBehavior: QOSShapeAndMark,
            Reason: QOSFlowRateNotApplicable,
        };
        let set = QOSSetFlow(
            qos,
            flow_id,
            QOSSetOutgoingRate,
            size_of::<QOS_FLOWRATE_OUTGOING>() as u32,
            &rate as *const QOS_FLOWRATE_OUTGOING as *const c_void,
            None,
            None,
        );
        // An adaptive flow's rate goes through admission control; before qWAVE has measured the
        // path it is refused with ERROR_NETWORK_BUSY, and the app carries on unshaped.
        let rate_admitted = match set.ok() {
            Ok(()) => true,
            Err(e) if WIN32_ERROR::from_error(&e) == Some(ERROR_NETWORK_BUSY) => false,
            Err(e) => return Err(e),
        };
        let mut rate_bps = 0u64;
        let mut size = size_of::<u64>() as u32;
        QOSQueryFlow(qos, flow_id, QOSQueryOutgoingRate, &mut size, &mut rate_bps as *mut u64 as *mut c_void, None, None)
            .ok()?;

        let event = CreateEventW(None, true, false, None)?;
        let mut ov = OVERLAPPED { hEvent: event, ..Default::default() };
        let r = QOSNotifyFlow(qos, flow_id, QOSNotifyCongested, None, None, None, Some(&mut ov));
        let notify = if r.as_bool() {
            Notify::Fired
        } else {
            match GetLastError() {
                ERROR_NOT_SUPPORTED => Notify::NotSupported,
                ERROR_IO_PENDING => {
                    QOSCancel(qos, &ov).ok()?;
                    if WaitForSingleObject(ov.hEvent, INFINITE) != WAIT_OBJECT_0 {
                        return Err(Error::from_thread());
                    }
                    let mut bytes = 0u32;
                    match GetOverlappedResult(qos, &ov, &mut bytes, false) {
                        Err(e) if WIN32_ERROR::from_error(&e) == Some(ERROR_OPERATION_ABORTED) => Notify::Cancelled,
                        Err(e) => return Err(e),
                        Ok(()) => Notify::Fired,
                    }
                }
                other => return Err(other.into()),
            }
        };
        CloseHandle(event)?;

        QOSRemoveSocketFromFlow(qos, Some(s), flow_id, None).ok()?;
        QOSCloseHandle(qos).ok()?;
        if closesocket(s) == SOCKET_ERROR {
            return Err(wsa_error());
        }
        WSACleanup();
        Ok(Report { flow_id, priority, rate_admitted, rate_bps, notify })
    }
}

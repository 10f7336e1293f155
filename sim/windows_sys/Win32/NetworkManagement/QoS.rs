//! `windows_sys::Win32::NetworkManagement::QoS`: the 11 qos2.h functions and their types.
//!
//! Each function is a thin adapter over the shared surface code (the same as
//! [`crate::windows`]'s): it decodes the pointers (NULL → absent), runs the model, writes the
//! outputs, and on failure returns `FALSE` with the reason in the thread's last error
//! (GEN-1); success never touches the last error (GEN-2). With an OVERLAPPED, accepted
//! requests return `FALSE` + `ERROR_IO_PENDING` and complete later through the OVERLAPPED, its
//! event and the bound completion port (GEN-3, GEN-5); without one they run synchronously on
//! the virtual clock (GEN-4).

use core::ffi::c_void;

use crate::surface::qos;
use crate::windows::Win32::NetworkManagement::QoS as w;
use crate::windows_sys::core::BOOL;
use crate::windows_sys::raw;
use crate::windows_sys::same_as_windows;
use crate::windows_sys::Win32::Foundation::HANDLE;
use crate::windows_sys::Win32::Networking::WinSock::{SOCKADDR, SOCKET};
use crate::windows_sys::Win32::System::IO::OVERLAPPED;

pub use crate::windows::Win32::NetworkManagement::QoS::{
    QOSSPBASE, QOSSP_ERR_BASE, QOS_GENERAL_ID_BASE, QOS_MAX_OBJECT_STRING_LENGTH, QOS_NON_ADAPTIVE_FLOW,
    QOS_NOT_SPECIFIED, QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH, QOS_QUERYFLOW_FRESH,
    QOS_TRAFFIC_GENERAL_ID_BASE,
};

/// Why an outgoing rate was set (`QOS_FLOWRATE_OUTGOING.Reason`).
pub type QOS_FLOWRATE_REASON = i32;
/// `QOSNotifyFlow` operation.
pub type QOS_NOTIFY_FLOW = i32;
/// `QOSQueryFlow` operation.
pub type QOS_QUERY_FLOW = i32;
/// `QOSSetFlow` operation.
pub type QOS_SET_FLOW = i32;
/// Shaping behaviour (`QOS_FLOWRATE_OUTGOING.ShapingBehavior`).
pub type QOS_SHAPING = i32;
/// Traffic type of a flow.
pub type QOS_TRAFFIC_TYPE = i32;

same_as_windows! { w, QOS_FLOWRATE_REASON;
    QOSFlowRateNotApplicable,
    QOSFlowRateContentChange,
    QOSFlowRateCongestion,
    QOSFlowRateHigherContentEncoding,
    QOSFlowRateUserCaused,
}
same_as_windows! { w, QOS_NOTIFY_FLOW; QOSNotifyCongested, QOSNotifyUncongested, QOSNotifyAvailable }
same_as_windows! { w, QOS_QUERY_FLOW;
    QOSQueryFlowFundamentals,
    QOSQueryPacketPriority,
    QOSQueryOutgoingRate,
}
same_as_windows! { w, QOS_SET_FLOW; QOSSetTrafficType, QOSSetOutgoingRate, QOSSetOutgoingDSCPValue }
same_as_windows! { w, QOS_SHAPING; QOSShapeOnly, QOSShapeAndMark, QOSUseNonConformantMarkings }
same_as_windows! { w, QOS_TRAFFIC_TYPE;
    QOSTrafficTypeBestEffort,
    QOSTrafficTypeBackground,
    QOSTrafficTypeExcellentEffort,
    QOSTrafficTypeAudioVideo,
    QOSTrafficTypeVoice,
    QOSTrafficTypeControl,
}

/// `QOSSetOutgoingRate` / `QOSQueryOutgoingRate` contract (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct QOS_FLOWRATE_OUTGOING {
    /// Bits per second.
    pub Bandwidth: u64,
    /// Shaping.
    pub ShapingBehavior: QOS_SHAPING,
    /// Reason.
    pub Reason: QOS_FLOWRATE_REASON,
}

/// `QOSQueryFlowFundamentals` result (40 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct QOS_FLOW_FUNDAMENTALS {
    /// `BottleneckBandwidth` is valid.
    pub BottleneckBandwidthSet: BOOL,
    /// Bits per second.
    pub BottleneckBandwidth: u64,
    /// `AvailableBandwidth` is valid.
    pub AvailableBandwidthSet: BOOL,
    /// Bits per second.
    pub AvailableBandwidth: u64,
    /// `RTT` is valid.
    pub RTTSet: BOOL,
    /// Microseconds.
    pub RTT: u32,
}

/// `QOSQueryPacketPriority` result (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct QOS_PACKET_PRIORITY {
    /// DSCP of conformant packets.
    pub ConformantDSCPValue: u32,
    /// DSCP of non-conformant packets.
    pub NonConformantDSCPValue: u32,
    /// 802.1p of conformant packets.
    pub ConformantL2Value: u32,
    /// 802.1p of non-conformant packets.
    pub NonConformantL2Value: u32,
}

/// `QOSCreateHandle` version (only 1.0 is valid).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct QOS_VERSION {
    /// Major.
    pub MajorVersion: u16,
    /// Minor.
    pub MinorVersion: u16,
}

/// `QOSAddSocketToFlow`: adds `socket` to a new flow toward `destaddr` (`*flowid == 0`) or to
/// the existing flow `*flowid`.
///
/// # Safety
/// Pointers are NULL or valid for their types (`destaddr` for its `sa_family`'s size).
pub unsafe extern "system" fn QOSAddSocketToFlow(
    qoshandle: HANDLE,
    socket: SOCKET,
    destaddr: *const SOCKADDR,
    traffictype: QOS_TRAFFIC_TYPE,
    flags: u32,
    flowid: *mut u32,
) -> BOOL {
    let (h, s) = (raw(qoshandle), socket as u64);
    BOOL::from(unsafe { qos::add_socket_to_flow(h, s, destaddr.cast(), traffictype, flags, flowid) })
}

/// `QOSCancel`: cancels the request issued with `overlapped`; it then completes with
/// `ERROR_OPERATION_ABORTED` (CAN-3).
///
/// # Safety
/// Always safe in the sim (the pointer is only compared).
pub unsafe extern "system" fn QOSCancel(qoshandle: HANDLE, overlapped: *const OVERLAPPED) -> BOOL {
    BOOL::from(qos::cancel(raw(qoshandle), overlapped.cast()))
}

/// `QOSCloseHandle`.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn QOSCloseHandle(qoshandle: HANDLE) -> BOOL {
    BOOL::from(qos::close_handle(raw(qoshandle)))
}

/// `QOSCreateHandle`: `version` must be 1.0.
///
/// # Safety
/// Pointers are NULL or valid for their types.
pub unsafe extern "system" fn QOSCreateHandle(version: *const QOS_VERSION, qoshandle: *mut HANDLE) -> BOOL {
    BOOL::from(unsafe { qos::create_handle(version.cast(), qoshandle.cast()) })
}

/// `QOSEnumerateFlows`: every flow id of the system as `u32`s.
///
/// # Safety
/// `size` is NULL or valid; `buffer` NULL or writable for `*size` bytes.
pub unsafe extern "system" fn QOSEnumerateFlows(
    qoshandle: HANDLE,
    size: *mut u32,
    buffer: *mut c_void,
) -> BOOL {
    BOOL::from(unsafe { qos::enumerate_flows(raw(qoshandle), size, buffer.cast()) })
}

/// `QOSNotifyFlow`.
///
/// # Safety
/// Pointers are NULL or valid; with `overlapped`, all stay valid until completion.
pub unsafe extern "system" fn QOSNotifyFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_NOTIFY_FLOW,
    size: *mut u32,
    buffer: *mut c_void,
    flags: u32,
    overlapped: *mut OVERLAPPED,
) -> BOOL {
    let (h, buf, ov) = (raw(qoshandle), buffer.cast(), overlapped.cast());
    BOOL::from(unsafe { qos::notify_flow(h, flowid, operation, size, buf, flags, ov) })
}

/// `QOSQueryFlow`.
///
/// # Safety
/// Pointers are NULL or valid; with `overlapped`, all stay valid until completion (QRY-15).
pub unsafe extern "system" fn QOSQueryFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_QUERY_FLOW,
    size: *mut u32,
    buffer: *mut c_void,
    flags: u32,
    overlapped: *mut OVERLAPPED,
) -> BOOL {
    let (h, buf, ov) = (raw(qoshandle), buffer.cast(), overlapped.cast());
    BOOL::from(unsafe { qos::query_flow(h, flowid, operation, size, buf, flags, ov) })
}

/// `QOSRemoveSocketFromFlow` (`socket` 0 = the whole flow).
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn QOSRemoveSocketFromFlow(
    qoshandle: HANDLE,
    socket: SOCKET,
    flowid: u32,
    flags: u32,
) -> BOOL {
    BOOL::from(qos::remove_socket_from_flow(
        raw(qoshandle),
        socket as u64,
        flowid,
        flags,
    ))
}

/// `QOSSetFlow`.
///
/// # Safety
/// `buffer` is NULL or readable for `size` bytes; `overlapped` NULL or valid until completion.
pub unsafe extern "system" fn QOSSetFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_SET_FLOW,
    size: u32,
    buffer: *const c_void,
    flags: u32,
    overlapped: *mut OVERLAPPED,
) -> BOOL {
    let (h, buf, ov) = (raw(qoshandle), buffer.cast(), overlapped.cast());
    BOOL::from(unsafe { qos::set_flow(h, flowid, operation, size, buf, flags, ov) })
}

/// `QOSStartTrackingClient`.
///
/// # Safety
/// `destaddr` is NULL or a readable `SOCKADDR` of its family.
pub unsafe extern "system" fn QOSStartTrackingClient(
    qoshandle: HANDLE,
    destaddr: *const SOCKADDR,
    flags: u32,
) -> BOOL {
    BOOL::from(unsafe { qos::tracking(raw(qoshandle), destaddr.cast(), flags, true) })
}

/// `QOSStopTrackingClient`.
///
/// # Safety
/// `destaddr` is NULL or a readable `SOCKADDR` of its family.
pub unsafe extern "system" fn QOSStopTrackingClient(
    qoshandle: HANDLE,
    destaddr: *const SOCKADDR,
    flags: u32,
) -> BOOL {
    BOOL::from(unsafe { qos::tracking(raw(qoshandle), destaddr.cast(), flags, false) })
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(core::mem::size_of::<QOS_VERSION>() == 4);
    assert!(core::mem::size_of::<QOS_FLOWRATE_OUTGOING>() == 16);
    assert!(core::mem::size_of::<QOS_FLOW_FUNDAMENTALS>() == 40);
    assert!(core::mem::size_of::<QOS_PACKET_PRIORITY>() == 16);
};

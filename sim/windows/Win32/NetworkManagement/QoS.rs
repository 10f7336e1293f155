//! `windows::Win32::NetworkManagement::QoS`: the 11 qos2.h functions and their types.
//!
//! Each function is a thin adapter over the simulator entered on this thread: it decodes the
//! pointers (NULL → absent), runs the model, writes the outputs, and on failure returns
//! `FALSE` with the reason in the thread's last error (GEN-1); success never touches the last
//! error (GEN-2). With an OVERLAPPED, accepted requests return `FALSE` + `ERROR_IO_PENDING`
//! and complete later through the OVERLAPPED, its event and the bound completion port (GEN-3,
//! GEN-5); without one they run synchronously on the virtual clock (GEN-4).

use core::ffi::c_void;

use crate::surface::qos;
use crate::windows::core::BOOL;
use crate::windows::Win32::Foundation::{raw, HANDLE};
use crate::windows::Win32::Networking::WinSock::{SOCKADDR, SOCKET};
use crate::windows::Win32::System::IO::OVERLAPPED;

macro_rules! newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
        pub struct $name(pub i32);
    };
}

newtype!(
    /// Why an outgoing rate was set (`QOS_FLOWRATE_OUTGOING.Reason`).
    QOS_FLOWRATE_REASON
);
newtype!(
    /// `QOSNotifyFlow` operation.
    QOS_NOTIFY_FLOW
);
newtype!(
    /// `QOSQueryFlow` operation.
    QOS_QUERY_FLOW
);
newtype!(
    /// `QOSSetFlow` operation.
    QOS_SET_FLOW
);
newtype!(
    /// Shaping behaviour (`QOS_FLOWRATE_OUTGOING.ShapingBehavior`).
    QOS_SHAPING
);
newtype!(
    /// Traffic type of a flow.
    QOS_TRAFFIC_TYPE
);

macro_rules! consts {
    ($($name:ident: $ty:ident = $v:expr;)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "` (", stringify!($v), ").")]
            pub const $name: $ty = $ty($v);
        )*
    };
}

consts! {
    QOSFlowRateNotApplicable: QOS_FLOWRATE_REASON = 0;
    QOSFlowRateContentChange: QOS_FLOWRATE_REASON = 1;
    QOSFlowRateCongestion: QOS_FLOWRATE_REASON = 2;
    QOSFlowRateHigherContentEncoding: QOS_FLOWRATE_REASON = 3;
    QOSFlowRateUserCaused: QOS_FLOWRATE_REASON = 4;
    QOSNotifyCongested: QOS_NOTIFY_FLOW = 0;
    QOSNotifyUncongested: QOS_NOTIFY_FLOW = 1;
    QOSNotifyAvailable: QOS_NOTIFY_FLOW = 2;
    QOSQueryFlowFundamentals: QOS_QUERY_FLOW = 0;
    QOSQueryPacketPriority: QOS_QUERY_FLOW = 1;
    QOSQueryOutgoingRate: QOS_QUERY_FLOW = 2;
    QOSSetTrafficType: QOS_SET_FLOW = 0;
    QOSSetOutgoingRate: QOS_SET_FLOW = 1;
    QOSSetOutgoingDSCPValue: QOS_SET_FLOW = 2;
    QOSShapeOnly: QOS_SHAPING = 0;
    QOSShapeAndMark: QOS_SHAPING = 1;
    QOSUseNonConformantMarkings: QOS_SHAPING = 2;
    QOSTrafficTypeBestEffort: QOS_TRAFFIC_TYPE = 0;
    QOSTrafficTypeBackground: QOS_TRAFFIC_TYPE = 1;
    QOSTrafficTypeExcellentEffort: QOS_TRAFFIC_TYPE = 2;
    QOSTrafficTypeAudioVideo: QOS_TRAFFIC_TYPE = 3;
    QOSTrafficTypeVoice: QOS_TRAFFIC_TYPE = 4;
    QOSTrafficTypeControl: QOS_TRAFFIC_TYPE = 5;
}

/// `QOSSPBASE`.
pub const QOSSPBASE: u32 = 50000;
/// `QOSSP_ERR_BASE`.
pub const QOSSP_ERR_BASE: u32 = 56000;
/// `QOS_GENERAL_ID_BASE`.
pub const QOS_GENERAL_ID_BASE: u32 = 2000;
/// `QOS_MAX_OBJECT_STRING_LENGTH`.
pub const QOS_MAX_OBJECT_STRING_LENGTH: u32 = 256;
/// `QOS_NON_ADAPTIVE_FLOW`: `QOSAddSocketToFlow` flag.
pub const QOS_NON_ADAPTIVE_FLOW: u32 = 2;
/// `QOS_NOT_SPECIFIED`.
pub const QOS_NOT_SPECIFIED: u32 = 4294967295;
/// `QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH`.
pub const QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH: u32 = 4294967295;
/// `QOS_QUERYFLOW_FRESH`: `QOSQueryFlow` flag.
pub const QOS_QUERYFLOW_FRESH: u32 = 1;
/// `QOS_TRAFFIC_GENERAL_ID_BASE`.
pub const QOS_TRAFFIC_GENERAL_ID_BASE: u32 = 4000;

/// `QOSSetOutgoingRate` / `QOSQueryOutgoingRate` contract (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QOS_VERSION {
    /// Major.
    pub MajorVersion: u16,
    /// Minor.
    pub MinorVersion: u16,
}

fn b(v: bool) -> BOOL {
    BOOL(v as i32)
}

/// `QOSAddSocketToFlow`: adds `socket` to a new flow toward `destaddr` (`*flowid == 0`) or to
/// the existing flow `*flowid`.
///
/// # Safety
/// Pointers are NULL or valid for their types (`destaddr` for its `sa_family`'s size).
#[inline]
pub unsafe fn QOSAddSocketToFlow(
    qoshandle: HANDLE,
    socket: SOCKET,
    destaddr: Option<*const SOCKADDR>,
    traffictype: QOS_TRAFFIC_TYPE,
    flags: Option<u32>,
    flowid: *mut u32,
) -> BOOL {
    let dest = destaddr.unwrap_or(core::ptr::null()).cast::<u8>();
    b(unsafe {
        qos::add_socket_to_flow(
            raw(qoshandle),
            socket.0 as u64,
            dest,
            traffictype.0,
            flags.unwrap_or(0),
            flowid,
        )
    })
}

/// `QOSCancel`: cancels the request issued with `overlapped`; it then completes with
/// `ERROR_OPERATION_ABORTED` (CAN-3).
///
/// # Safety
/// Always safe in the sim (the pointer is only compared).
#[inline]
pub unsafe fn QOSCancel(qoshandle: HANDLE, overlapped: *const OVERLAPPED) -> BOOL {
    b(qos::cancel(raw(qoshandle), overlapped.cast()))
}

/// `QOSCloseHandle`.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn QOSCloseHandle(qoshandle: HANDLE) -> BOOL {
    b(qos::close_handle(raw(qoshandle)))
}

/// `QOSCreateHandle`: `version` must be 1.0.
///
/// # Safety
/// Pointers are NULL or valid for their types.
#[inline]
pub unsafe fn QOSCreateHandle(version: *const QOS_VERSION, qoshandle: *mut HANDLE) -> BOOL {
    b(unsafe { qos::create_handle(version.cast(), qoshandle.cast()) })
}

/// `QOSEnumerateFlows`: every flow id of the system as `u32`s.
///
/// # Safety
/// `size` is NULL or valid; `buffer` NULL or writable for `*size` bytes.
#[inline]
pub unsafe fn QOSEnumerateFlows(qoshandle: HANDLE, size: *mut u32, buffer: *mut c_void) -> BOOL {
    b(unsafe { qos::enumerate_flows(raw(qoshandle), size, buffer.cast()) })
}

/// `QOSNotifyFlow`.
///
/// # Safety
/// Pointers are NULL or valid; with `overlapped`, all stay valid until completion.
#[inline]
pub unsafe fn QOSNotifyFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_NOTIFY_FLOW,
    size: Option<*mut u32>,
    buffer: Option<*mut c_void>,
    flags: Option<u32>,
    overlapped: Option<*mut OVERLAPPED>,
) -> BOOL {
    b(unsafe {
        qos::notify_flow(
            raw(qoshandle),
            flowid,
            operation.0,
            size.unwrap_or(core::ptr::null_mut()),
            buffer.unwrap_or(core::ptr::null_mut()).cast(),
            flags.unwrap_or(0),
            overlapped.unwrap_or(core::ptr::null_mut()).cast(),
        )
    })
}

/// `QOSQueryFlow`.
///
/// # Safety
/// Pointers are NULL or valid; with `overlapped`, all stay valid until completion (QRY-15).
#[inline]
pub unsafe fn QOSQueryFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_QUERY_FLOW,
    size: *mut u32,
    buffer: *mut c_void,
    flags: Option<u32>,
    overlapped: Option<*mut OVERLAPPED>,
) -> BOOL {
    b(unsafe {
        qos::query_flow(
            raw(qoshandle),
            flowid,
            operation.0,
            size,
            buffer.cast(),
            flags.unwrap_or(0),
            overlapped.unwrap_or(core::ptr::null_mut()).cast(),
        )
    })
}

/// `QOSRemoveSocketFromFlow` (`socket` `None` = the whole flow).
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn QOSRemoveSocketFromFlow(
    qoshandle: HANDLE,
    socket: Option<SOCKET>,
    flowid: u32,
    flags: Option<u32>,
) -> BOOL {
    let s = socket.unwrap_or_default().0 as u64;
    b(qos::remove_socket_from_flow(
        raw(qoshandle),
        s,
        flowid,
        flags.unwrap_or(0),
    ))
}

/// `QOSSetFlow`.
///
/// # Safety
/// `buffer` is NULL or readable for `size` bytes; `overlapped` NULL or valid until completion.
#[inline]
pub unsafe fn QOSSetFlow(
    qoshandle: HANDLE,
    flowid: u32,
    operation: QOS_SET_FLOW,
    size: u32,
    buffer: *const c_void,
    flags: Option<u32>,
    overlapped: Option<*mut OVERLAPPED>,
) -> BOOL {
    b(unsafe {
        qos::set_flow(
            raw(qoshandle),
            flowid,
            operation.0,
            size,
            buffer.cast(),
            flags.unwrap_or(0),
            overlapped.unwrap_or(core::ptr::null_mut()).cast(),
        )
    })
}

/// `QOSStartTrackingClient`.
///
/// # Safety
/// `destaddr` is NULL or a readable `SOCKADDR` of its family.
#[inline]
pub unsafe fn QOSStartTrackingClient(
    qoshandle: HANDLE,
    destaddr: *const SOCKADDR,
    flags: Option<u32>,
) -> BOOL {
    b(unsafe { qos::tracking(raw(qoshandle), destaddr.cast(), flags.unwrap_or(0), true) })
}

/// `QOSStopTrackingClient`.
///
/// # Safety
/// `destaddr` is NULL or a readable `SOCKADDR` of its family.
#[inline]
pub unsafe fn QOSStopTrackingClient(
    qoshandle: HANDLE,
    destaddr: *const SOCKADDR,
    flags: Option<u32>,
) -> BOOL {
    b(unsafe { qos::tracking(raw(qoshandle), destaddr.cast(), flags.unwrap_or(0), false) })
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(core::mem::size_of::<QOS_VERSION>() == 4);
    assert!(core::mem::size_of::<QOS_FLOWRATE_OUTGOING>() == 16);
    assert!(core::mem::size_of::<QOS_FLOW_FUNDAMENTALS>() == 40);
    assert!(core::mem::size_of::<QOS_PACKET_PRIORITY>() == 16);
};
